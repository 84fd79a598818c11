# tests/interop/local.mk: the interop tests run by Node.js: ethers.js (from npm) signing for the
# node, the dashboard in Debian's chromium driven by playwright-core (from npm), poll results
# against snapshot.js's (from npm), secret ballots sealed by ethers.js and WebCrypto against
# ledger/ballot_box (its C peer program), and a whole secret poll voted and verified from JavaScript.
TESTS += tests/interop/test_ethers.sh tests/interop/test_browser.sh tests/interop/test_polls_interop.sh \
	tests/interop/test_ballot_box.sh tests/interop/test_secret_poll.sh
check_PROGRAMS += tests/interop/ballot_box_peer
tests_interop_ballot_box_peer_LDADD = $(CORE_LDADD)
EXTRA_DIST += tests/interop/test_ethers.sh tests/interop/ethers_interop.cjs tests/interop/package.json \
	tests/interop/package-lock.json tests/interop/test_browser.sh tests/interop/browser_check.cjs \
	tests/interop/interop_lib.cjs tests/interop/npm_deps.sh tests/interop/test_polls_interop.sh \
	tests/interop/polls_interop.cjs tests/interop/test_ballot_box.sh tests/interop/ballot_box_interop.cjs \
	tests/interop/ballot_box.cjs tests/interop/test_secret_poll.sh tests/interop/secret_poll_interop.cjs
# In a separate build tree the tests copy their files and install the npm packages there; clean them
# away, and the browser test's screenshots in any tree.
clean-local: clean-interop
clean-interop:
	rm -rf tests/interop/screenshots tests/interop/.npm-lock
	if test "$(abs_srcdir)" != "$(abs_builddir)"; then \
	  rm -rf tests/interop/node_modules tests/interop/package.json tests/interop/package-lock.json \
	    tests/interop/ethers_interop.cjs tests/interop/interop_lib.cjs tests/interop/polls_interop.cjs \
	    tests/interop/browser_check.cjs tests/interop/ballot_box_interop.cjs tests/interop/ballot_box.cjs \
	    tests/interop/secret_poll_interop.cjs; \
	fi
