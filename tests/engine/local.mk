# tests/engine/local.mk: the engine tests.
