package io.streamable.faults;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

import java.util.concurrent.TimeUnit;

/**
 * mongo-java-server with its H2 backend, as a process of its own, so the suite can restart it and
 * find the data again. Prints {@code listening} once bound. When its standard input closes (or
 * after {@link ProducerMain#MAX_RUNTIME}) it shuts the server down and closes the H2 backend,
 * which writes everything to the file, and exits 0.
 *
 * <p>Arguments: port (bound on 127.0.0.1 only), H2 file.
 */
public final class MongoServerMain {
    private MongoServerMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        H2Backend backend = new H2Backend(args[1]);
        MongoServer server = new MongoServer(backend);
        server.bind("127.0.0.1", port);
        ProducerMain.say("listening");
        if (!ProducerMain.watchStandardInput().await(ProducerMain.MAX_RUNTIME.toMillis(), TimeUnit.MILLISECONDS)) {
            System.err.println("nobody asked this server to stop within " + ProducerMain.MAX_RUNTIME + "; stopping");
        }
        server.shutdownNow();
        // shutdownNow leaves the backend open: closing it is what writes the H2 store to its file
        backend.close();
        ProducerMain.say("shut down");
        System.exit(0);
    }
}
