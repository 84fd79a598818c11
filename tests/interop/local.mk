# tests/interop/local.mk: the interop test with ethers.js (Node.js and npm needed).
TESTS += tests/interop/test_ethers.sh
EXTRA_DIST += tests/interop/test_ethers.sh tests/interop/ethers_interop.cjs tests/interop/package.json \
	tests/interop/package-lock.json
# In a separate build tree the test copies its files and installs ethers there; clean them away.
clean-local: clean-interop
clean-interop:
	if test "$(abs_srcdir)" != "$(abs_builddir)"; then \
	  rm -rf tests/interop/node_modules tests/interop/package.json tests/interop/package-lock.json \
	    tests/interop/ethers_interop.cjs; \
	fi
