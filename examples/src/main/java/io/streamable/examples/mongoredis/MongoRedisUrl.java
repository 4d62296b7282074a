package io.streamable.examples.mongoredis;

/** Where the MongoRedis examples connect: the first argument, else {@code STREAMABLE_URL}, else local servers. */
final class MongoRedisUrl {
    static final String LOCAL = "mongoredis://localhost:27017/streamable?redis=redis://localhost:6379";

    private MongoRedisUrl() {
    }

    static String from(String[] args) {
        if (args.length > 0 && !args[0].isBlank()) {
            return args[0];
        }
        String configured = System.getenv("STREAMABLE_URL");
        return configured == null || configured.isBlank() ? LOCAL : configured.trim();
    }
}
