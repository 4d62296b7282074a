package io.streamable.state.processor;

import io.streamable.StreamableException;
import io.streamable.codec.PayloadCodec;
import io.streamable.produce.OutgoingMessage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Encodes a step's output messages for the state store's outbox, and back: a format version, the
 * writing instance's consumer name and the time of writing, then per message its sharding key,
 * compaction id, headers and payload (through the payload codec). Length-prefixed binary, so
 * nothing about the payload's own encoding matters.
 */
final class OutboxCodec<O> {
    private static final int FORMAT = 1;

    /** One outbox entry, decoded. */
    record Entry<O>(String writer, long writtenAtMillis, List<OutgoingMessage<O>> messages) {
    }

    private final PayloadCodec<O> payloads;

    OutboxCodec(PayloadCodec<O> payloads) {
        this.payloads = payloads;
    }

    byte[] encode(String writer, long writtenAtMillis, List<OutgoingMessage<O>> messages) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 64 * messages.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            writeString(out, writer);
            out.writeLong(writtenAtMillis);
            out.writeInt(messages.size());
            for (OutgoingMessage<O> message : messages) {
                writeString(out, message.shardingKey());
                out.writeBoolean(message.logCompactId().isPresent());
                if (message.logCompactId().isPresent()) {
                    writeString(out, message.logCompactId().get());
                }
                out.writeInt(message.headers().size());
                for (Map.Entry<String, String> header : message.headers().entrySet()) {
                    writeString(out, header.getKey());
                    writeString(out, header.getValue());
                }
                byte[] payload = payloads.encode(message.payload());
                out.writeInt(payload.length);
                out.write(payload);
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    Entry<O> decode(byte[] encoded) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new StreamableException("Pending output in outbox format " + format + " cannot be read by this"
                        + " version, which reads format " + FORMAT + "; run the version that wrote it until its outbox"
                        + " is empty");
            }
            String writer = readString(in);
            long writtenAt = in.readLong();
            int count = in.readInt();
            List<OutgoingMessage<O>> messages = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String shardingKey = readString(in);
                Optional<String> logCompactId = in.readBoolean() ? Optional.of(readString(in)) : Optional.empty();
                int headerCount = in.readInt();
                Map<String, String> headers = new LinkedHashMap<>();
                for (int h = 0; h < headerCount; h++) {
                    headers.put(readString(in), readString(in));
                }
                byte[] payload = new byte[in.readInt()];
                in.readFully(payload);
                messages.add(new OutgoingMessage<>(shardingKey, logCompactId, headers, payloads.decode(payload)));
            }
            return new Entry<>(writer, writtenAt, messages);
        } catch (IOException e) {
            throw new StreamableException("Pending output in the outbox is truncated or corrupt (" + e + ")", e);
        }
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] utf8 = new byte[in.readInt()];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
