package io.fleetdeploy.core.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.schema.MigrateResult.AppliedMigration;
import io.fleetdeploy.core.testing.DatabaseServers;
import io.fleetdeploy.core.testing.DatabaseServers.Postgres;
import io.fleetdeploy.core.testing.RecordingProgress;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import io.fleetdeploy.core.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** Migrations taken from a published release's bundle (S3Proxy), applied to a real PostgreSQL. */
@ExtendWith(DatabaseServers.class)
class ReleaseMigrationsTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @TempDir
    Path build;

    private final RecordingProgress progress = new RecordingProgress();

    @Test
    void migratesFromTheBundleOfAPublishedVersionAtTheManifestsMigrationsPath(Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        Files.createDirectories(build.resolve("sql/schema"));
        Files.writeString(build.resolve("sql/schema/V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY);");
        Files.writeString(build.resolve("app.jar"), "not really a jar");
        S3Layout layout = S3Layout.of(S3.bucket(), "deploy", "shop");
        try (Releases releases = Releases.connect(S3.settings(), layout, progress);
             ReleaseStoreBundles bundles = new ReleaseStoreBundles(releases);
             RdsDatabases rds = RdsDatabases.of(AwsSettings.defaults())) {
            releases.publish(new PublishRequest(build, "1.0.0", null, "k1", null, null, "sql/schema", null, null));

            MigrateResult result = new SchemaMigrator(rds, bundles, Clock.systemUTC()).migrate(
                    MigrateRequest.of("shop", target(db), MigrationSource.release("1.0.0")), progress);

            assertThat(result.applied()).extracting(AppliedMigration::script).containsExactly("V1__create_orders.sql");
            assertThat(db.hasTable("orders")).isTrue();
            assertThat(progress.text()).contains("sha256").contains("verified").contains("release 1.0.0 (sql/schema)");
        }
    }

    @Test
    void anUnpublishedOrTamperedReleaseIsRefusedAndTheDatabaseIsNotTouched(Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        Files.createDirectories(build.resolve("db/migration"));
        Files.writeString(build.resolve("db/migration/V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY);");
        S3Layout layout = S3Layout.of(S3.bucket(), "", "shop");
        try (Releases releases = Releases.connect(S3.settings(), layout, ProgressListener.NONE);
             ReleaseStoreBundles bundles = new ReleaseStoreBundles(releases);
             RdsDatabases rds = RdsDatabases.of(AwsSettings.defaults())) {
            SchemaMigrator migrator = new SchemaMigrator(rds, bundles, Clock.systemUTC());

            assertThatThrownBy(() -> migrator.migrate(MigrateRequest.of("shop", target(db), MigrationSource.release("9.9.9")), progress))
                    .isInstanceOf(FleetDeployException.class)
                    .hasMessageContaining("9.9.9 of shop is not published");

            releases.publish(PublishRequest.of(build, "1.0.0"));
            S3.client().putObject(b -> b.bucket(S3.bucket()).key(layout.bundleKey("1.0.0")), RequestBody.fromString("tampered"));
            assertThatThrownBy(() -> migrator.migrate(MigrateRequest.of("shop", target(db), MigrationSource.release("1.0.0")), progress))
                    .isInstanceOf(FleetDeployException.class)
                    .hasMessageContaining("1.0.0");
            assertThatThrownBy(() -> migrator.migrate(MigrateRequest.of("billing", target(db), MigrationSource.release("1.0.0")), progress))
                    .hasMessageContaining("not of 'billing'");
            assertThat(db.hasTable("flyway_schema_history")).isFalse();
            assertThat(db.hasTable("orders")).isFalse();
        }
    }

    private static DatabaseTarget target(TestDatabase db) {
        return DatabaseTarget.jdbc(db.jdbcUrl(), db.user(), Secret.of(db.password()));
    }
}
