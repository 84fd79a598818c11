# enclave/local.mk: the enclave folder's part of the build.
