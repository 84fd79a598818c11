# tests/integration/local.mk: the integration tests.
