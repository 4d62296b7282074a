package io.streamable.tck.state;

import java.util.UUID;

/**
 * The proof with in-memory state; the replacement instance has a new id, so it replays the whole
 * topic and is refused on everything already applied.
 */
class InMemoryBankAccountsProofTest extends BankAccountsProof {

    @Override
    protected String stateUrl() {
        return "memory:bank-state-" + UUID.randomUUID();
    }

    @Override
    protected String replacementInstanceId() {
        return "d";
    }
}
