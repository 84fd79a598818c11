# cli/local.mk: the `conclave` command-line client. Key files, argument checks and the client side
# of secret ballots (secret.c) go into libcore (unit-tested by tests/cli); the commands, their output
# and main() are the program's own.
libcore_a_SOURCES += cli/cli.h cli/keys.c cli/args.c cli/secret.h cli/secret.c
bin_PROGRAMS += conclave
conclave_SOURCES = cli/main.c cli/commands.c cli/session.h cli/session.c cli/cmd_node.c cli/cmd_staking.c cli/cmd_compute.c \
	cli/cmd_gov.c cli/output.c
