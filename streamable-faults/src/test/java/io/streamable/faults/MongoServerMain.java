package io.streamable.faults;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * mongo-java-server with its H2 backend, as a process of its own, so the suite can restart it and
 * find the data again. Prints {@code listening} once bound; when its standard input closes it
 * shuts the server down, which closes the H2 store (writing everything to the file), and exits 0.
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
        ProducerMain.watchStandardInput().await();
        server.shutdownNow();
        // shutdownNow leaves the backend open: closing it is what writes the H2 store to its file
        backend.close();
        ProducerMain.say("shut down");
        System.exit(0);
    }
}
