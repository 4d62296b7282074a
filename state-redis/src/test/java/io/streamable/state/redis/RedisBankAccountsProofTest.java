package io.streamable.state.redis;

import io.streamable.tck.state.BankAccountsProof;

/** The bank-accounts proof with the Redis state store; the killed instance restarts under its own id. */
class RedisBankAccountsProofTest extends BankAccountsProof {

    @Override
    protected String stateUrl() {
        return RedisTestServer.stateUrl("proof");
    }

    @Override
    protected String replacementInstanceId() {
        return "b";
    }
}
