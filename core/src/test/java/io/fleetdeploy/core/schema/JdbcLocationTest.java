package io.fleetdeploy.core.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import org.junit.jupiter.api.Test;

class JdbcLocationTest {

    @Test
    void readsEngineHostPortAndDatabase() {
        JdbcLocation pg = JdbcLocation.parse("jdbc:postgresql://db.example.com:6543/shop?sslmode=verify-full");
        assertThat(pg.engine()).isEqualTo(Engine.POSTGRESQL);
        assertThat(pg.host()).isEqualTo("db.example.com");
        assertThat(pg.port()).isEqualTo(6543);
        assertThat(pg.database()).isEqualTo("shop");
        assertThat(pg.describe()).isEqualTo("PostgreSQL database shop at db.example.com:6543");

        assertThat(JdbcLocation.parse("jdbc:postgresql://db/shop").port()).isEqualTo(5432);
        JdbcLocation maria = JdbcLocation.parse("jdbc:mariadb://10.0.0.5/shop");
        assertThat(maria.engine()).isEqualTo(Engine.MARIADB);
        assertThat(maria.port()).isEqualTo(3306);
        JdbcLocation mysql = JdbcLocation.parse("jdbc:mysql://mysql.internal:3307/shop");
        assertThat(mysql.url()).isEqualTo("jdbc:mariadb://mysql.internal:3307/shop");
        assertThat(JdbcLocation.parse("jdbc:postgresql://[::1]:5433/x").host()).isEqualTo("[::1]");
    }

    @Test
    void refusesOtherDatabasesAndNonsense() {
        for (String url : new String[] {"jdbc:oracle:thin:@h:1521:x", "postgresql://h/db", "jdbc:postgresql:db", "", "jdbc:mysql://h:99999999/x"}) {
            assertThatThrownBy(() -> JdbcLocation.parse(url)).as(url).isInstanceOf(FleetDeployException.class);
        }
    }

    @Test
    void rdsEnginesMapToTheDriversWeShip() {
        assertThat(Engine.ofRdsEngine("postgres")).contains(Engine.POSTGRESQL);
        assertThat(Engine.ofRdsEngine("aurora-postgresql")).contains(Engine.POSTGRESQL);
        assertThat(Engine.ofRdsEngine("mysql")).contains(Engine.MARIADB);
        assertThat(Engine.ofRdsEngine("mariadb")).contains(Engine.MARIADB);
        assertThat(Engine.ofRdsEngine("oracle-ee")).isEmpty();
    }

    @Test
    void aSecretPrintsMaskedAndIsRedactedFromText() {
        Secret secret = Secret.of("hunter2-long");
        assertThat(secret).hasToString("****");
        assertThat(DatabaseTarget.jdbc("jdbc:postgresql://h/db", "u", secret).toString()).doesNotContain("hunter2-long");
        assertThat(secret.redact("login hunter2-long failed")).isEqualTo("login **** failed");
    }
}
