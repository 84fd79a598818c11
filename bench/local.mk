# bench/local.mk: the bench folder's part of the build.
