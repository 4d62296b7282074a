package io.streamable.benchmarks.harness;

import java.util.ArrayList;
import java.util.List;

/**
 * A realistic JSON payload of about 1 KB (an order: customer, address, seven lines, tags; about 50
 * JSON values), for scenarios where the payload's structure matters, not only its size: storing a
 * payload as an embedded BSON document costs CPU per JSON value, which {@link BenchPayload}'s one
 * long filler string would hide.
 *
 * @param seq       the message's number within its round
 * @param key       its sharding key
 * @param sentNanos {@link System#nanoTime()} when it was created
 * @param orderId   the order's id
 * @param status    the order's state
 * @param currency  ISO currency code
 * @param total     the sum of the lines
 * @param customer  who ordered
 * @param lines     what was ordered
 * @param tags      labels
 */
public record OrderPayload(long seq, String key, long sentNanos, String orderId, String status, String currency,
                           double total, Customer customer, List<Line> lines, List<String> tags) {

    /**
     * The customer of an order.
     *
     * @param id      the customer's id
     * @param name    full name
     * @param email   e-mail address
     * @param vip     whether the customer has priority
     * @param address where the order goes
     */
    public record Customer(String id, String name, String email, boolean vip, Address address) {
    }

    /**
     * A postal address.
     *
     * @param street   street and number
     * @param city     city
     * @param postcode postal code
     * @param country  ISO country code
     */
    public record Address(String street, String city, String postcode, String country) {
    }

    /**
     * One line of an order.
     *
     * @param sku       the article's code
     * @param name      the article's name
     * @param quantity  how many
     * @param unitPrice price of one
     */
    public record Line(String sku, String name, int quantity, double unitPrice) {
    }

    private static final String[] ARTICLES = {"Espresso beans, dark roast 1 kg", "Ceramic pour-over dripper",
        "Paper filters size 02 (100 pcs)", "Burr grinder, hand crank", "Gooseneck kettle 0.9 l",
        "Digital scale with timer", "Double-walled glass mug 350 ml"};

    /** Order {@code seq} for sharding key {@code key} (customer {@code key}), stamped now; values vary with seq. */
    public static OrderPayload of(long seq, String key) {
        List<Line> lines = new ArrayList<>(ARTICLES.length);
        double total = 0;
        for (int i = 0; i < ARTICLES.length; i++) {
            int quantity = 1 + (int) ((seq + i) % 4);
            double price = 4.5 + ((seq * 7 + i * 13) % 400) / 10.0;
            lines.add(new Line("SKU-" + (10_000 + (seq * 31 + i) % 90_000), ARTICLES[i], quantity, price));
            total += quantity * price;
        }
        Customer customer = new Customer(key, "Customer " + key, key + "@example.com", seq % 10 == 0,
                new Address((seq % 200) + " Harbour Street", "Rotterdam", "30" + (seq % 90 + 10) + " AB", "NL"));
        return new OrderPayload(seq, key, System.nanoTime(), "ORD-" + (1_000_000 + seq), seq % 3 == 0 ? "PAID" : "NEW",
                "EUR", Math.round(total * 100) / 100.0, customer, List.copyOf(lines), List.of("web", "coffee", "eu"));
    }
}
