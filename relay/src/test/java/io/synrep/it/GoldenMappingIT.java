package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synrep.Relay;
import io.synrep.config.RetentionConfig;
import io.synrep.streams.Catalog;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden-file tests of the built-in catalog, end to end: SQL in, stream rows out of a real relay over HTTP.
 *
 * <p>Every {@code golden/NAME.sql} on the test classpath is one case, paired with {@code golden/NAME.json}. Adding
 * a case needs no Java. For each case: a fresh database with the Synapse schema, a relay on its own slot, the SQL
 * run statement by statement, then every built-in stream polled from {@code -1}.
 *
 * <p><b>The .sql file.</b> Statements end with {@code ;}. A statement outside {@code BEGIN ... COMMIT} (or
 * {@code ROLLBACK}) is its own transaction (autocommit); a {@code BEGIN ... COMMIT} block is one transaction.
 * Transactions are numbered 1, 2, 3, ... in file order, rolled-back ones included; each file's header comment
 * lists them. Supported: {@code --} and {@code /* *}{@code /} comments, {@code '...'}, {@code E'...'} and
 * {@code "..."} quoting; not dollar quoting.
 *
 * <p><b>The .json file.</b> An object keyed by stream name; each value is the array of rows that stream must
 * deliver, in delivery order (position order; within a transaction, statement order). A row is an object of
 * every field after {@code position}, with values as the stream sends them (text as strings, integers as
 * numbers, NULL as null, text[] as arrays), plus {@code "_tx"}: the number of the transaction that produced it.
 * Streams not named must deliver nothing. Rows with the same {@code _tx} must share one position, and positions
 * must strictly increase with {@code _tx}, across all streams.
 *
 * <p><b>A catalog of its own.</b> A case may come with {@code golden/NAME.catalog.json}, an operator's catalog file
 * ({@code "extends": "builtin"} to keep the built-in streams) that its relay runs with instead of the built-in
 * catalog; the case's streams are then that catalog's.
 *
 * <p><b>No extra rows.</b> After the case's SQL the test notes the writer's WAL position and commits a sentinel
 * transaction that streams nothing (a lone {@code state_events} row, which only feeds joins). Once the relay's
 * head has passed that WAL position, it has read all of the case's transactions, so any row they produced is
 * in the log and a final poll sees it.
 */
class GoldenMappingIT {
    private static final String DIR = "golden";
    /** The suffix of a case's own catalog file. */
    private static final String CATALOG = ".catalog.json";
    private static final long HEAD_WAIT_MS = 60_000;
    private static final long ROWS_WAIT_MS = 30_000;

    @TestFactory
    Stream<DynamicTest> goldenCases() throws Exception {
        URL url = GoldenMappingIT.class.getClassLoader().getResource(DIR);
        assertTrue(url != null, "no " + DIR + "/ directory on the test classpath");
        Path dir = Path.of(url.toURI());
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        List<String> cases = new ArrayList<>();
        for (String f : names) {
            if (f.endsWith(CATALOG)) {
                String sql = f.substring(0, f.length() - CATALOG.length()) + ".sql";
                assertTrue(names.contains(sql), DIR + "/" + f + " has no " + sql);
                continue;
            }
            String base = f.replaceFirst("\\.(sql|json)$", "");
            String partner = f.endsWith(".sql") ? base + ".json" : base + ".sql";
            assertTrue(names.contains(partner), DIR + "/" + f + " has no " + partner);
            if (f.endsWith(".sql")) {
                cases.add(base);
            }
        }
        assertFalse(cases.isEmpty(), "no golden cases in " + dir);
        return cases.stream().map(name -> DynamicTest.dynamicTest(name,
                () -> runCase(name, dir.resolve(name + ".sql"), dir.resolve(name + ".json"),
                        dir.resolve(name + CATALOG))));
    }

    private static void runCase(String name, Path sqlFile, Path jsonFile, Path catalogFile) throws Exception {
        Script script = Script.parse(Files.readString(sqlFile, StandardCharsets.UTF_8));
        Catalog catalog = Files.exists(catalogFile) ? Catalog.load(catalogFile) : Catalog.builtin();
        Map<String, List<ObjectNode>> expected = expected(name, Poller.JSON.readTree(jsonFile.toFile()), catalog,
                script.transactions());

        String dbUrl = TestPostgres.freshDatabase("golden");
        String slot = dbUrl.substring(dbUrl.lastIndexOf('/') + 1, dbUrl.indexOf('?'));
        try {
            try (Relay relay = RelayFixture.start(dbUrl, slot, catalog, RetentionConfig.defaults())) {
                RelayFixture.awaitStreaming(relay);
                long written = write(name, dbUrl, script);
                awaitHead(name, relay, written);
                Poller poller = new Poller(RelayFixture.base(relay), catalog.streamNames(), "-1");
                long deadline = System.nanoTime() + ROWS_WAIT_MS * 1_000_000;
                while (!reached(poller, expected) && System.nanoTime() < deadline) {
                    assertEquals(200, poller.poll(1000, 1000), "poll status");
                }
                assertEquals(200, poller.poll(1000, 1000), "final poll status");
                compare(name, expected, poller);
            }
        } finally {
            dropSlot(dbUrl, slot);
        }
    }

    /** Runs the script; returns the writer's WAL position after its last transaction, then commits the sentinel. */
    private static long write(String name, String dbUrl, Script script) throws SQLException {
        try (Connection c = TestPostgres.connect(dbUrl); Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            for (String sql : script.statements()) {
                try {
                    st.execute(sql);
                } catch (SQLException e) {
                    throw new SQLException(name + ".sql: statement failed: " + sql + ": " + e.getMessage(), e);
                }
            }
            long written;
            try (ResultSet rs = st.executeQuery("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")) {
                rs.next();
                written = rs.getLong(1);
            }
            st.execute("INSERT INTO state_events (event_id, room_id, type, state_key) "
                    + "VALUES ('$golden-sentinel', '!sentinel:synrep.test', 'org.synrep.sentinel', '')");
            return written;
        }
    }

    private static void awaitHead(String name, Relay relay, long walPosition) throws InterruptedException {
        long deadline = System.nanoTime() + HEAD_WAIT_MS * 1_000_000;
        while (relay.log().head() < walPosition) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + ": relay head " + relay.log().head() + " did not reach WAL "
                        + "position " + walPosition + "; capture " + relay.capture().state() + " "
                        + relay.capture().failure());
            }
            Thread.sleep(20);
        }
    }

    private static boolean reached(Poller poller, Map<String, List<ObjectNode>> expected) {
        for (Map.Entry<String, List<ObjectNode>> e : expected.entrySet()) {
            if (poller.rows(e.getKey()).size() < e.getValue().size()) {
                return false;
            }
        }
        return true;
    }

    /** Reads and checks the .json: known stream names, complete rows, valid {@code _tx}. Every stream gets a list. */
    private static Map<String, List<ObjectNode>> expected(String name, JsonNode json, Catalog catalog,
                                                          int transactions) {
        assertTrue(json.isObject(), name + ".json must be an object keyed by stream name");
        Map<String, List<ObjectNode>> out = new LinkedHashMap<>();
        catalog.streamNames().forEach(s -> out.put(s, new ArrayList<>()));
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String stream = e.getKey();
            assertTrue(out.containsKey(stream), name + ".json: unknown stream " + stream);
            List<String> fields = catalog.rule(stream).fields();
            for (JsonNode row : e.getValue()) {
                assertTrue(row.isObject(), name + ".json: " + stream + " rows must be objects: " + row);
                int tx = row.path("_tx").asInt(0);
                assertTrue(tx >= 1 && tx <= transactions, name + ".json: " + stream + " row needs \"_tx\" in 1.."
                        + transactions + " (the .sql has " + transactions + " transactions): " + row);
                List<String> keys = new ArrayList<>();
                row.fieldNames().forEachRemaining(keys::add);
                keys.remove("_tx");
                assertEquals(fields.stream().sorted().toList(), keys.stream().sorted().toList(),
                        name + ".json: a " + stream + " row must have exactly the fields " + fields + ": " + row);
                out.get(stream).add((ObjectNode) row);
            }
        }
        return out;
    }

    private static void compare(String name, Map<String, List<ObjectNode>> expected, Poller poller) {
        StringBuilder problems = new StringBuilder();
        Map<Integer, Long> positionOfTx = new TreeMap<>();
        for (Map.Entry<String, List<ObjectNode>> e : expected.entrySet()) {
            String stream = e.getKey();
            List<ObjectNode> want = e.getValue();
            List<JsonNode> rows = poller.rows(stream);
            List<ObjectNode> got = new ArrayList<>();
            if (!rows.isEmpty()) {
                List<String> fieldNames = poller.fieldNames.get(stream);
                if (!"position".equals(fieldNames.get(0))) {
                    problems.append("\n").append(stream).append(": field_names do not start with position: ")
                            .append(fieldNames);
                }
                for (JsonNode row : rows) {
                    ObjectNode o = Poller.JSON.createObjectNode();
                    for (int i = 1; i < fieldNames.size(); i++) {
                        o.set(fieldNames.get(i), row.get(i));
                    }
                    got.add(o);
                }
            }
            boolean same = want.size() == got.size();
            for (int i = 0; same && i < want.size(); i++) {
                ObjectNode w = want.get(i).deepCopy();
                w.remove("_tx");
                same = w.equals(NUMERIC, got.get(i));
            }
            if (!same) {
                problems.append("\n").append(stream).append(":\n  expected ").append(want)
                        .append("\n  actual   ").append(rows);
                continue;
            }
            for (int i = 0; i < want.size(); i++) {
                int tx = want.get(i).get("_tx").asInt();
                long position = rows.get(i).get(0).asLong();
                Long seen = positionOfTx.putIfAbsent(tx, position);
                if (seen != null && seen != position) {
                    problems.append("\n").append(stream).append(" row ").append(i).append(": transaction ")
                            .append(tx).append(" at position ").append(position).append(", other rows of it at ")
                            .append(seen);
                }
            }
        }
        long previous = Long.MIN_VALUE;
        for (Map.Entry<Integer, Long> e : positionOfTx.entrySet()) {
            if (e.getValue() <= previous) {
                problems.append("\ntransaction ").append(e.getKey()).append(" at position ").append(e.getValue())
                        .append(", not after the previous transaction's ").append(previous);
            }
            previous = e.getValue();
        }
        if (!problems.isEmpty()) {
            fail("golden case " + name + " differs:" + problems);
        }
    }

    /** Equal numbers compare equal whatever their JSON node type (int, long, big integer). */
    private static final Comparator<JsonNode> NUMERIC = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    /** Slots are cluster-wide and few (max_replication_slots); free this case's once its relay has let go. */
    private static void dropSlot(String dbUrl, String slot) {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            try (Connection c = TestPostgres.connect(dbUrl);
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                ps.execute();
                return;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    System.err.println("could not drop slot " + slot + ": " + e.getMessage());
                    return;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A golden .sql file split into statements, with its transaction count. */
    record Script(List<String> statements, int transactions) {
        static Script parse(String sql) {
            List<String> statements = split(sql);
            int transactions = 0;
            boolean open = false;
            for (String s : statements) {
                String word = s.split("\\s+", 2)[0].toUpperCase();
                switch (word) {
                    case "BEGIN", "START" -> {
                        if (open) {
                            throw new IllegalArgumentException("BEGIN inside an open transaction: " + s);
                        }
                        open = true;
                        transactions++;
                    }
                    case "COMMIT", "END", "ROLLBACK", "ABORT" -> {
                        if (!open) {
                            throw new IllegalArgumentException(word + " without BEGIN");
                        }
                        open = false;
                    }
                    default -> {
                        if (!open) {
                            transactions++;
                        }
                    }
                }
            }
            if (open) {
                throw new IllegalArgumentException("transaction left open at the end of the file");
            }
            return new Script(statements, transactions);
        }

        /** Splits on {@code ;} outside quotes and comments; comments are dropped. */
        static List<String> split(String sql) {
            List<String> out = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            int n = sql.length();
            int i = 0;
            while (i < n) {
                char c = sql.charAt(i);
                char next = i + 1 < n ? sql.charAt(i + 1) : 0;
                if (c == '-' && next == '-') {
                    while (i < n && sql.charAt(i) != '\n') {
                        i++;
                    }
                } else if (c == '/' && next == '*') {
                    int end = sql.indexOf("*/", i + 2);
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated /* comment");
                    }
                    cur.append(' ');
                    i = end + 2;
                } else if (c == '\'' || c == '"') {
                    boolean backslashes = c == '\'' && i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
                            && (i < 2 || !Character.isLetterOrDigit(sql.charAt(i - 2)) && sql.charAt(i - 2) != '_');
                    int j = i + 1;
                    while (true) {
                        if (j >= n) {
                            throw new IllegalArgumentException("unterminated quote starting at offset " + i);
                        }
                        char d = sql.charAt(j);
                        if (backslashes && d == '\\') {
                            j += 2;
                        } else if (d == c && j + 1 < n && sql.charAt(j + 1) == c) {
                            j += 2;
                        } else if (d == c) {
                            break;
                        } else {
                            j++;
                        }
                    }
                    cur.append(sql, i, j + 1);
                    i = j + 1;
                } else if (c == '$') {
                    throw new IllegalArgumentException("dollar quoting or parameters are not supported");
                } else if (c == ';') {
                    add(out, cur);
                    i++;
                } else {
                    cur.append(c);
                    i++;
                }
            }
            add(out, cur);
            return out;
        }

        private static void add(List<String> out, StringBuilder cur) {
            String s = cur.toString().strip();
            if (!s.isEmpty()) {
                out.add(s);
            }
            cur.setLength(0);
        }
    }
}
