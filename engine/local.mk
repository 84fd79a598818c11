# engine/local.mk: the engine folder's part of the build.
