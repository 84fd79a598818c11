# schema/local.mk: the schema folder's part of the build.
