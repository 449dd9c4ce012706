package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.cli.Cli;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * Each way an operator can misconfigure the writer or the relay, through the real {@code synrep serve} against a real
 * PostgreSQL: exit code 1 and exactly one line on stderr that names the problem and the fix, no stack trace.
 */
class MisconfigurationIT {
    record Run(int code, String out, String err) {
        /** The one line printed on stderr, after checking there is exactly one and no stack trace. */
        String line() {
            assertEquals(1, code, "exit code; stderr: " + err);
            String[] lines = err.strip().split("\\R");
            assertEquals(1, lines.length, "one line on stderr: " + err);
            assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
            System.out.println("MESSAGE " + lines[0]);
            return lines[0];
        }
    }

    static Run serve(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("serve", "--data-dir",
                Files.createTempDirectory("misconfig").toString()));
        argv.addAll(List.of(args));
        if (!argv.contains("--listen")) {
            argv.addAll(List.of("--listen", "127.0.0.1:0"));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(argv.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void walLevelReplicaIsRefusedNamingTheSetting() throws Exception {
        try (EmbeddedPostgres replica = EmbeddedPostgres.builder().setServerConfig("wal_level", "replica").start()) {
            String url = "jdbc:postgresql://localhost:" + replica.getPort() + "/postgres?user=postgres";
            String line = serve("--pg-url", url).line();
            assertTrue(line.contains("wal_level is 'replica'"), line);
            assertTrue(line.contains("set wal_level = logical") && line.contains("restart PostgreSQL"), line);

            // the same through the jar, as its own process: exit code 1
            try (RelayProcess p = RelayProcess.launch(List.of(), List.of("--pg-url", url, "--listen", "127.0.0.1:0",
                    "--data-dir", Files.createTempDirectory("misconfig").toString()))) {
                assertTrue(p.awaitExit(Duration.ofSeconds(60)), "the relay exits");
                assertEquals(1, p.exitCode(), p.output());
                assertTrue(p.output().contains("synrep serve: wal_level is 'replica'"), p.output());
                assertFalse(p.output().contains("\tat "), p.output());
            }
        }
    }

    @Test
    void roleWithoutReplicationIsRefusedWithTheAlterRoleCommand() throws Exception {
        String url = TestPostgres.freshDatabase("norepl");
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'synrep_norepl') THEN "
                    + "CREATE ROLE synrep_norepl LOGIN; END IF; END $$");
            st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO synrep_norepl");
        }
        String line = serve("--pg-url", url.replace("user=postgres", "user=synrep_norepl"), "--slot", "norepl").line();
        assertTrue(line.contains("role synrep_norepl lacks the REPLICATION attribute"), line);
        assertTrue(line.contains("ALTER ROLE \"synrep_norepl\" REPLICATION"), line);
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'norepl'")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "nothing was created");
        }
    }

    @Test
    void slotStreamedByAnotherConsumerIsRefusedNamingTheBackend() throws Exception {
        String url = TestPostgres.freshDatabase("busy");
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE PUBLICATION busy FOR ALL TABLES");
            st.execute("SELECT pg_create_logical_replication_slot('busy', 'pgoutput')");
        }
        Properties p = new Properties();
        PGProperty.USER.set(p, "postgres");
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        try (Connection repl = DriverManager.getConnection(url, p);
             PGReplicationStream held = repl.unwrap(PGConnection.class).getReplicationAPI().replicationStream()
                     .logical().withSlotName("busy").withSlotOption("proto_version", 1)
                     .withSlotOption("publication_names", "busy").withStatusInterval(1, TimeUnit.SECONDS).start()) {
            int pid = activePid(url, "busy");
            assertTrue(pid > 0, "the slot is held");
            long t0 = System.nanoTime();
            String line = serve("--pg-url", url, "--slot", "busy", "--publication", "busy").line();
            assertTrue(line.contains("slot busy is in use by PostgreSQL backend " + pid), line);
            assertTrue(line.contains("give this relay its own --slot"), line);
            assertTrue(line.contains("pg_terminate_backend(" + pid + ")"), line);
            long waited = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("FIGURES slot in use: refused after " + waited + " ms");
            assertFalse(held.isClosed());
        }
    }

    @Test
    void publicationLackingACatalogTableIsRefusedWithTheCommandWhenTheRoleCannotAddIt() throws Exception {
        String url = TestPostgres.freshDatabase("pubgap");
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'synrep_rep') THEN "
                    + "CREATE ROLE synrep_rep LOGIN REPLICATION; END IF; END $$");
            st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO synrep_rep");
            // the operator's publication, made before receipts were streamed
            List<String> tables = new ArrayList<>();
            for (String t : io.synrep.streams.Catalog.builtin().tables()) {
                if (!t.equals("public.receipts_linearized")) {
                    tables.add(t);
                }
            }
            st.execute("CREATE PUBLICATION pubgap FOR TABLE " + String.join(", ", tables));
        }
        String line = serve("--pg-url", url.replace("user=postgres", "user=synrep_rep"), "--slot", "pubgap",
                "--publication", "pubgap").line();
        assertTrue(line.contains("the publications lack what the catalog needs and this role may not change them"), line);
        assertTrue(line.contains("(or a superuser) run: ALTER PUBLICATION \"pubgap\" ADD TABLE "
                + "\"public\".\"receipts_linearized\""), line);
    }

    @Test
    void absentPublicationIsRefusedWithTheCommandWhenTheRoleCannotCreateIt() throws Exception {
        String url = TestPostgres.freshDatabase("nopub");
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'synrep_rep') THEN "
                    + "CREATE ROLE synrep_rep LOGIN REPLICATION; END IF; END $$");
            st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO synrep_rep");
        }
        String line = serve("--pg-url", url.replace("user=postgres", "user=synrep_rep"), "--slot", "nopub",
                "--publication", "nopub").line();
        assertTrue(line.contains("the publications lack what the catalog needs and this role may not change them"), line);
        assertTrue(line.contains("(or a superuser) run: CREATE PUBLICATION \"nopub\" WITH (publish = 'insert'); "
                + "CREATE PUBLICATION \"nopub_upd\" WITH (publish = 'update'); "
                + "CREATE PUBLICATION \"nopub,nopub_upd\" WITH (publish = 'insert'); "
                + "ALTER PUBLICATION \"nopub\" ADD TABLE \"public\".\"events\", "), line);
    }

    @Test
    void slotCreatedBeforeThePublicationStopsWithTheFixInsteadOfRetryingForever() throws Exception {
        String url = TestPostgres.freshDatabase("slotfirst");
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            // the operator made the slot by hand, then the publication: pgoutput cannot decode what lies between
            st.execute("SELECT pg_create_logical_replication_slot('slotfirst', 'pgoutput')");
            st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (1, '@u:t', 'D')");
        }
        String line = serve("--pg-url", url, "--slot", "slotfirst", "--publication", "slotfirst").line();
        // refused before anything is created: the publications would be younger than the slot's WAL
        assertTrue(line.startsWith("synrep serve: the catalog needs publication(s) [slotfirst, slotfirst_upd]"), line);
        assertTrue(line.contains("which did not exist when slot slotfirst was created"), line);
        assertTrue(line.contains("SELECT pg_drop_replication_slot('slotfirst')"), line);
    }

    @Test
    void catalogNamingAMissingTableIsRefused() throws Exception {
        String url = TestPostgres.freshDatabase("notable");
        String line = serve("--pg-url", url, "--slot", "notable", "--catalog", catalog("""
                {"streams": [{"name": "orders", "fields": ["id"], "sources": [{"table": "orders"}]}]}""")).line();
        assertTrue(line.contains("the catalog names tables that do not exist: [public.orders]"), line);
        assertTrue(line.contains("pass a --catalog without them"), line);
    }

    @Test
    void catalogNamingAMissingColumnIsRefused() throws Exception {
        String url = TestPostgres.freshDatabase("nocol");
        String line = serve("--pg-url", url, "--slot", "nocol", "--catalog", catalog("""
                {"streams": [{"name": "receipts", "fields": ["stream_id", "room", "user_id"],
                  "sources": [{"table": "receipts_linearized", "where": {"column": "weight", "op": ">", "value": 0}}]}]}
                """)).line();
        assertTrue(line.contains("the catalog names columns that do not exist: "
                + "[public.receipts_linearized.room, public.receipts_linearized.weight]"), line);
        assertTrue(line.contains("fix the stream's \"columns\""), line);
    }

    @Test
    void portInUseIsRefusedBeforeTouchingTheDatabase() throws Exception {
        String url = TestPostgres.freshDatabase("port");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String line = serve("--pg-url", url, "--slot", "port", "--listen", "127.0.0.1:" + taken.getLocalPort())
                    .line();
            assertTrue(line.contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), line);
            assertTrue(line.contains("choose another with --listen"), line);
        }
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'port'")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "no slot was created");
        }
    }

    static String catalog(String json) throws Exception {
        Path f = Files.createTempFile("misconfig-catalog", ".json");
        Files.writeString(f, json);
        return f.toString();
    }

    static int activePid(String url, String slot) throws Exception {
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(active_pid, 0) FROM pg_replication_slots "
                     + "WHERE slot_name = '" + slot + "'")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }
}
