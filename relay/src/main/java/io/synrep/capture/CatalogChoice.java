package io.synrep.capture;

import io.synrep.streams.Catalog;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which stream catalog the relay serves, and why: the one the operator named (a built-in catalog's name or a file),
 * or the built-in catalog that fits the Synapse schema the writer's database holds. Detection reads Synapse's
 * {@code schema_version} table (schema 72 or later: current), then which cache invalidation table exists
 * ({@code cache_invalidation_stream_by_instance}: current; {@code cache_invalidation_stream}: the seed-era schema of
 * {@code sql/schema.sql}). From the current built-in catalog, streams whose tables this database lacks (newer
 * Synapse features) are left out and named; an operator's file must fit exactly.
 *
 * @param catalog the catalog to serve
 * @param name    its name: a built-in catalog's, or the file's
 * @param reason  why it was chosen, for the log
 */
public record CatalogChoice(Catalog catalog, String name, String reason) {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CatalogChoice.class);
    /** The option value that asks for detection (also the default). */
    public static final String DETECT = "builtin";
    static final String CURRENT = "synapse-current";
    static final String SEED = Catalog.DEFAULT_BUILTIN;
    /** The first full schema of current Synapse; earlier databases are upgraded past it. */
    static final int CURRENT_SCHEMA = 72;

    /**
     * A catalog given as it is (tests, bench): named after the built-in catalog it is or has the rules of, else
     * unnamed, which readers are told as {@code custom}.
     */
    public static CatalogChoice given(Catalog catalog) {
        for (String name : Catalog.BUILTIN_NAMES) {
            Catalog builtin = Catalog.builtin(name);
            if (catalog == builtin || catalog.rules().equals(builtin.rules())) {
                return new CatalogChoice(catalog, name, "given");
            }
        }
        return new CatalogChoice(catalog, null, "given");
    }

    /**
     * @param option null, empty or {@value #DETECT} to detect; a built-in catalog's name; else a catalog file, whose
     *               {@code "extends": "builtin"} means the detected built-in catalog
     */
    public static CatalogChoice choose(Connection conn, String option) throws SQLException {
        CatalogChoice choice = decide(conn, option);
        LOG.info("catalog {}: {}; streams {}", choice.name(), choice.reason(), choice.catalog().streamNames());
        return choice;
    }

    private static CatalogChoice decide(Connection conn, String option) throws SQLException {
        String builtin;
        String why;
        if (option != null && Catalog.BUILTIN_NAMES.contains(option)) {
            builtin = option;
            why = "named by --catalog";
        } else {
            String[] detected = detect(conn);
            builtin = detected[0];
            why = detected[1];
        }
        if (option != null && !option.isEmpty() && !option.equals(DETECT) && !Catalog.BUILTIN_NAMES.contains(option)) {
            Path file = Path.of(option);
            return new CatalogChoice(Catalog.load(file, builtin), file.getFileName().toString(),
                    "catalog file " + file + " (\"extends\": \"builtin\" there means " + builtin + ": " + why + ")");
        }
        Catalog catalog = Catalog.builtin(builtin);
        if (builtin.equals(CURRENT)) {
            List<String> absent = streamsWithoutTables(conn, catalog);
            if (!absent.isEmpty() && absent.size() < catalog.streamNames().size()) {
                catalog = catalog.without(absent);
                why += "; left out " + absent + ": their tables are not in this database (an older Synapse)";
            }
        }
        return new CatalogChoice(catalog, builtin, why);
    }

    /** The built-in catalog that fits the database, and why. */
    static String[] detect(Connection conn) throws SQLException {
        Integer version = null;
        if (exists(conn, "public.schema_version")) {
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT max(version) FROM public.schema_version")) {
                if (rs.next()) {
                    version = (Integer) rs.getObject(1);
                }
            }
        }
        if (version != null && version >= CURRENT_SCHEMA) {
            return new String[] {CURRENT, "Synapse schema_version " + version + " (" + CURRENT_SCHEMA + " or later)"};
        }
        if (exists(conn, "public.cache_invalidation_stream_by_instance")) {
            return new String[] {CURRENT, "table cache_invalidation_stream_by_instance exists"
                    + (version == null ? "" : " (schema_version " + version + ")")};
        }
        if (exists(conn, "public.cache_invalidation_stream")) {
            return new String[] {SEED, "table cache_invalidation_stream exists (the seed-era schema of sql/schema.sql)"};
        }
        return new String[] {SEED, "no Synapse schema found (no schema_version, no cache invalidation table): the "
                + "seed-era catalog over sql/schema.sql"};
    }

    private static List<String> streamsWithoutTables(Connection conn, Catalog catalog) throws SQLException {
        Set<String> absent = new LinkedHashSet<>();
        for (String table : catalog.tables()) {
            if (!exists(conn, SlotSetup.quoteQualified(table))) {
                absent.addAll(catalog.streamsReading(table));
            }
        }
        return new ArrayList<>(absent);
    }

    private static boolean exists(Connection conn, String qualified) throws SQLException {
        try (var ps = conn.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, qualified);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
