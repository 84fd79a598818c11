# cli/local.mk: the cli folder's part of the build.
