package io.streamable.state.mongodb;

import io.streamable.tck.state.BankAccountsProof;

/**
 * The proof with the MongoDB state store over the real driver; the killed instance is restarted
 * under its own id, so it resumes after its saved position and is redelivered what it had not
 * acknowledged.
 */
class MongoBankAccountsProofTest extends BankAccountsProof {

    @Override
    protected String stateUrl() {
        return MongoTestServer.stateUrl("proof");
    }

    @Override
    protected String replacementInstanceId() {
        return "b";
    }
}
