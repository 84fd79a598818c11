# governance/local.mk: the governance folder's part of the build.
