package io.streamable.client;

import io.streamable.backend.BackendNotFoundException;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUrl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The provider lookup topic backends and shared-state stores share; the test class path has the recording: backend. */
class ProviderLookupTest {
    /** Its own property, so no other test's lookup sees it set. */
    private static final String PROPERTY = "streamable.test.lookup.provider";

    private static ProviderLookup<BackendProvider> lookup(List<String> aliases) {
        return new ProviderLookup<>(BackendProvider.class, "test backend", PROPERTY, provider -> {
            List<String> schemes = new java.util.ArrayList<>(aliases);
            schemes.add(provider.scheme());
            return schemes;
        }, scheme -> "Add the artifact for " + scheme, BackendNotFoundException::new);
    }

    @Test
    @DisplayName("finds a provider through ServiceLoader by its scheme, or by another scheme it declares")
    void byScheme() {
        assertThat(lookup(List.of()).find(BackendUrl.parse("recording:"))).isInstanceOf(RecordingBackendProvider.class);
        assertThat(lookup(List.of("rec")).find(BackendUrl.parse("rec:"))).isInstanceOf(RecordingBackendProvider.class);
    }

    @Test
    @DisplayName("a scheme nothing handles names it, lists the schemes found and says what to add, without the password")
    void unknownScheme() {
        assertThatThrownBy(() -> lookup(List.of()).find(BackendUrl.parse("nope://user:hunter2@host:1")))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("No test backend for scheme \"nope\"")
                .hasMessageContaining("Test backends found on the class path: [recording]")
                .hasMessageContaining("Add the artifact for nope.")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    @DisplayName("the system property chooses the provider class whatever the scheme; a class that is not one is refused")
    void explicitProvider() {
        try {
            System.setProperty(PROPERTY, RecordingBackendProvider.class.getName());
            assertThat(lookup(List.of()).find(BackendUrl.parse("nope:"))).isInstanceOf(RecordingBackendProvider.class);
            System.setProperty(PROPERTY, String.class.getName());
            assertThatThrownBy(() -> lookup(List.of()).find(BackendUrl.parse("recording:")))
                    .isInstanceOf(BackendNotFoundException.class)
                    .hasMessageContaining("java.lang.String named by -D" + PROPERTY + " could not be created")
                    .hasMessageContaining("Name a public BackendProvider class");
        } finally {
            System.clearProperty(PROPERTY);
        }
    }
}
