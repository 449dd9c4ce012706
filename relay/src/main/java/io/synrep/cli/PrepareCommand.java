package io.synrep.cli;

import io.synrep.capture.CatalogChoice;
import io.synrep.capture.Publications;
import io.synrep.capture.SchemaGaps;
import io.synrep.capture.SlotSetup;
import io.synrep.capture.TableIdentity;
import io.synrep.capture.WriterConnection;
import io.synrep.config.CaptureConfig;
import io.synrep.config.Resolved;
import io.synrep.config.ServeSettings;
import io.synrep.config.Setting;
import io.synrep.streams.Catalog;
import io.synrep.streams.StreamRule;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code synrep prepare [--apply]}: what the writer's database needs before the relay attaches to it, as SQL: the
 * replica identities without which publishing the catalog's updates would make the writer's statements fail, and the
 * relay's publications. Prints the statements (a script for psql); {@code --apply} runs them, identities first.
 */
final class PrepareCommand {
    /** {@code --apply}: run the statements. */
    static final Setting<Boolean> APPLY = Setting.flag("apply", "run the statements (each is printed as it runs)");
    /** The serve settings and {@code --apply}. */
    static final List<Setting<?>> OPTIONS = Stream.concat(Stream.of(APPLY), ServeSettings.KEYS.stream()).toList();

    static final CommandLines.Definition DEFINITION = new CommandLines.Definition("prepare",
            List.of("what the writer's database needs before serve attaches (replica identities,",
                    "publications), as SQL; --apply runs it"),
            "[--apply] [serve options]",
            List.of(
                    "Prints, as a SQL script, what the writer's database needs before 'synrep serve' attaches to",
                    "it without harming it, and with --apply runs it (as the owner of the tables, or a superuser):",
                    "  1. replica identities: PostgreSQL refuses UPDATE, DELETE and INSERT ... ON CONFLICT DO UPDATE",
                    "     on a table once a publication publishes its updates or deletes, unless the table has a",
                    "     primary key or another replica identity. Only the tables whose streams need updates or",
                    "     deletes get one: USING INDEX on a unique index over NOT NULL columns where one exists",
                    "     (the WAL carries those columns of the old row), FULL otherwise (the whole old row).",
                    "  2. publications: NAME publishes inserts, NAME_upd updates and NAME_del deletes, each for the",
                    "     tables whose streams need them; \"NAME,NAME_upd,NAME_del\" is an empty stand-in that",
                    "     names the three for Debezium.",
                    "Publications that already make the writer's statements fail are reported first.",
                    "",
                    "Reads the serve options it needs (pg-url, pg-user, pg-password, publication, catalog) from the",
                    "command line, the environment and --config, like serve."),
            "Options (each also as SYNREP_<NAME> in the environment or 'name = value' in the --config\n"
                    + "file, like serve):",
            OPTIONS, List.of(), "serve");

    private PrepareCommand() {}

    /** @param r the serve settings and {@link #APPLY} */
    static int run(Resolved r, PrintStream out) throws Exception {
        boolean apply = r.get(APPLY);
        ServeCommand.Options o = ServeCommand.Options.from(r);
        if (o.pgUrl() == null) {
            throw new UsageException("prepare: give the writer's database with --pg-url (or SYNREP_PG_URL)");
        }
        CaptureConfig c = o.capture(o.pgUrl(), Path.of("."));
        try (Connection conn = WriterConnection.open(c)) {
            CatalogChoice choice = CatalogChoice.choose(conn, o.catalogOption());
            Catalog catalog = choice.catalog();
            out.println("-- synrep prepare for " + c.maskedUrl() + ", publication " + c.publication() + ", catalog "
                    + choice.name() + " (" + choice.reason() + "): " + catalog.streamNames().size() + " streams");
            SchemaGaps gaps = SchemaGaps.find(conn, catalog.columnsByTable(), List.of(c.publication()));
            for (String t : gaps.missingTables()) {
                out.println("-- table " + t + " does not exist: streams " + catalog.streamsReading(t)
                        + " cannot flow");
            }
            for (String col : gaps.missingColumns()) {
                out.println("-- column " + col + " does not exist: fix the catalog before serving");
            }
            Map<String, Set<StreamRule.Operation>> needed = new LinkedHashMap<>(catalog.operationsByTable());
            needed.keySet().removeAll(gaps.missingTables());
            Publications plan = Publications.plan(conn, c.publication(), needed, SlotSetup.slotExists(conn, c.slot()));
            List<String> script = script(plan, catalog, conn, out);
            if (script.isEmpty()) {
                out.println("-- nothing to change: the publications and replica identities fit the catalog");
                return 0;
            }
            if (!apply) {
                out.println("-- run these with 'synrep prepare --apply' (or psql) as the tables' owner, then 'synrep serve'");
                return 0;
            }
            for (String sql : script) {
                try (Statement st = conn.createStatement()) {
                    st.execute(sql);
                } catch (SQLException e) {
                    throw new SlotSetup.SetupException("prepare --apply: " + sql + " failed: " + e.getMessage()
                            + ("42501".equals(e.getSQLState()) ? " (run it as the table's owner or a superuser)" : ""));
                }
                out.println("-- applied: " + sql);
            }
            Publications after = Publications.plan(conn, c.publication(), needed, SlotSetup.slotExists(conn, c.slot()));
            out.println(after.safe() && after.statements().isEmpty() && after.brokenNow().isEmpty()
                    ? "-- done: 'synrep serve' can attach without changing anything else"
                    : "-- still to do: " + after.statements() + " " + after.identityFixes());
            return 0;
        }
    }

    /** Prints the script (with its reasons as comments) and returns its statements in the order to run them. */
    private static List<String> script(Publications plan, Catalog catalog, Connection conn, PrintStream out)
            throws SQLException {
        List<String> statements = new ArrayList<>();
        Map<String, TableIdentity> broken = TableIdentity.read(conn, plan.brokenNow().keySet());
        for (Map.Entry<String, List<String>> e : plan.brokenNow().entrySet()) {
            out.println("-- FAILING NOW: the writer's UPDATE and DELETE on " + e.getKey() + " fail: publication(s) "
                    + e.getValue() + " publish them and its replica identity is " + broken.get(e.getKey()).describe());
        }
        List<String> fixed = new ArrayList<>();
        if (!plan.identityFixes().isEmpty() || !plan.brokenAfter().isEmpty()) {
            out.println("-- 1. Replica identities (a brief ACCESS EXCLUSIVE lock each; FULL does not rewrite the table)");
        }
        for (Publications.IdentityFix f : plan.identityFixes()) {
            TableIdentity id = f.identity();
            out.println("-- " + id.table() + ": streams " + catalog.streamsReading(id.table()) + " need its "
                    + Publications.opsText(f.operations()) + "; replica identity now " + id.describe() + "; " + id.fixCost());
            out.println(f.statement() + ";");
            statements.add(f.statement());
            fixed.add(id.table());
        }
        for (TableIdentity id : broken.values()) {
            if (!fixed.contains(id.table()) && plan.brokenAfter().containsKey(id.table())) {
                out.println("-- " + id.table() + ": already failing (see above); " + id.fixCost());
                out.println(id.fix() + ";");
                statements.add(id.fix());
            }
        }
        if (!plan.statements().isEmpty()) {
            out.println("-- 2. Publications" + (plan.single()
                    ? " (" + plan.base() + " publishes more than inserts and its slot exists: kept as it is, since a"
                    + " slot cannot read publications made after its WAL)"
                    : ""));
        }
        for (String sql : plan.statements()) {
            out.println(sql + ";");
            statements.add(sql);
        }
        return statements;
    }
}
