# engine/local.mk: the state machine (library).
libcore_a_SOURCES += \
	engine/engine.h engine/engine_int.h engine/engine.c engine/durability.c engine/item.c engine/system.c engine/apply.c engine/audit.c engine/replay.c \
	engine/clock.h engine/clock.c engine/genesis.h engine/genesis_int.h engine/genesis.c engine/genesis_accounts.c engine/genesis_store.c engine/params.h engine/params.c engine/staking.h engine/staking_int.h engine/staking.c engine/staking_tx.c engine/staking_tick.c engine/pool_settings.c engine/compute.c engine/workers.c engine/settlement.c engine/enclave_link.c engine/ballot_key.c engine/governance.h engine/gov_adapters.c
