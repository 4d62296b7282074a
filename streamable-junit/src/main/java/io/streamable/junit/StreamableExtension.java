package io.streamable.junit;

import io.streamable.client.Streamable;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The extension behind {@link StreamableTest}; register it with
 * {@code @ExtendWith(StreamableExtension.class)} if you prefer. Resolves {@link Streamable} and
 * {@link TestBackend} parameters with one fresh {@code memory:} store per test (per class for
 * {@code @BeforeAll} and constructors of a {@code PER_CLASS} test instance), and closes every
 * connection it opened when that scope ends.
 *
 * <p>Works on JUnit Jupiter 5.10 and later. JUnit closes a stored value that is
 * {@link AutoCloseable} only from 5.13 on; older versions close
 * {@link ExtensionContext.Store.CloseableResource}s only. The stored value is both: 5.13 and
 * later close it as an {@code AutoCloseable} (and so do not warn that {@code CloseableResource}
 * is deprecated), 5.10 to 5.12 as a {@code CloseableResource}, and either way exactly once.
 */
public final class StreamableExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StreamableExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Streamable.class || type == TestBackend.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Store store = context.getStore(NAMESPACE).getOrComputeIfAbsent(Store.class, key -> new Store(context), Store.class);
        Class<?> type = parameter.getParameter().getType();
        if (type == Streamable.class) {
            return store.streamable();
        }
        if (type == TestBackend.class) {
            return store;
        }
        throw new ParameterResolutionException("StreamableExtension cannot resolve " + type);
    }

    /** One test's store and the connections opened to it; closed by JUnit when the test's scope ends. */
    @SuppressWarnings("deprecation") // CloseableResource is what JUnit before 5.13 closes; see the class comment
    private static final class Store implements TestBackend, AutoCloseable, ExtensionContext.Store.CloseableResource {
        private static final Logger LOG = LoggerFactory.getLogger(StreamableExtension.class);

        private final String url;
        private final List<Streamable> opened = new ArrayList<>();
        private Streamable main;

        Store(ExtensionContext context) {
            // a named store, so open() can reach it; the name keeps tests apart
            this.url = "memory:streamable-test-" + UUID.randomUUID();
            LOG.debug("{} uses {}", context.getDisplayName(), url);
        }

        @Override
        public String url() {
            return url;
        }

        @Override
        public synchronized Streamable streamable() {
            if (main == null) {
                main = open();
            }
            return main;
        }

        @Override
        public synchronized Streamable open() {
            Streamable streamable = Streamable.open(url);
            opened.add(streamable);
            return streamable;
        }

        @Override
        public synchronized void close() {
            RuntimeException failure = null;
            for (Streamable streamable : opened) {
                try {
                    streamable.close();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            opened.clear();
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public String toString() {
            return "TestBackend[" + url + "]";
        }
    }
}
