# rpc/local.mk: the rpc folder's part of the build.
