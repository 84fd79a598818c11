# tests/interop/local.mk: the interop test with ethers.js (Node.js and npm needed).
TESTS += tests/interop/test_ethers.sh
EXTRA_DIST += tests/interop/test_ethers.sh tests/interop/ethers_interop.cjs tests/interop/package.json \
	tests/interop/package-lock.json
