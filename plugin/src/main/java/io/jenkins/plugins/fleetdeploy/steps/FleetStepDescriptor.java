package io.jenkins.plugins.fleetdeploy.steps;

import com.cloudbees.jenkins.plugins.awscredentials.AmazonWebServicesCredentials;
import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.common.StandardCredentials;
import com.cloudbees.plugins.credentials.common.StandardListBoxModel;
import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import hudson.EnvVars;
import hudson.model.Item;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.fleetdeploy.core.Names;
import java.util.Set;
import jenkins.model.Jenkins;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.QueryParameter;

/** What the Snippet Generator needs for the shared fleet arguments: the credential list and offline checks. */
public abstract class FleetStepDescriptor extends StepDescriptor {

    @Override
    public Set<? extends Class<?>> getRequiredContext() {
        return Set.of(Run.class, TaskListener.class, EnvVars.class);
    }

    public ListBoxModel doFillCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String credentialsId) {
        return credentialItems(item, credentialsId, AmazonWebServicesCredentials.class);
    }

    /** The credentials plugin's consumer guide: a full list only for those who may configure or use the item's credentials. */
    public static ListBoxModel credentialItems(Item item, String current, Class<? extends StandardCredentials> type) {
        StandardListBoxModel result = new StandardListBoxModel();
        if (item == null ? !Jenkins.get().hasPermission(Jenkins.ADMINISTER)
                : !item.hasPermission(Item.EXTENDED_READ) && !item.hasPermission(CredentialsProvider.USE_ITEM)) {
            return result.includeCurrentValue(current);
        }
        return result.includeEmptyValue().include(item, type).includeCurrentValue(current);
    }

    /** For the database steps' form; harmless on the others, whose forms have no such field. */
    public ListBoxModel doFillDatabaseCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String databaseCredentialsId) {
        return credentialItems(item, databaseCredentialsId, StandardUsernamePasswordCredentials.class);
    }

    public ListBoxModel doFillTlsItems() {
        ListBoxModel items = new ListBoxModel();
        items.add("Driver default", "");
        for (String mode : new String[] {"disable", "require", "verify_ca", "verify_full"}) {
            items.add(mode);
        }
        return items;
    }

    public FormValidation doCheckApp(@QueryParameter String value) {
        return checkName("app", value);
    }

    public FormValidation doCheckRoleArn(@QueryParameter String value) {
        if (value == null || value.isBlank() || value.startsWith("arn:")) {
            return FormValidation.ok();
        }
        return FormValidation.error("A role ARN looks like arn:aws:iam::123456789012:role/deployer.");
    }

    public FormValidation doCheckRoleDurationSeconds(@QueryParameter String value) {
        if (value == null || value.isBlank()) {
            return FormValidation.ok();
        }
        try {
            int seconds = Integer.parseInt(value.strip());
            return seconds >= 900 && seconds <= 43200 ? FormValidation.ok()
                    : FormValidation.error("STS accepts 900 to 43200 seconds.");
        } catch (NumberFormatException e) {
            return FormValidation.error("A whole number of seconds, 900 to 43200.");
        }
    }

    /** For the long steps' form (drainGroup, rolloutGroup, switchTraffic); harmless on the others. */
    public FormValidation doCheckWaitForLeaseMinutes(@QueryParameter String value) {
        if (value == null || value.isBlank()) {
            return FormValidation.ok();
        }
        try {
            return Integer.parseInt(value.strip()) >= 0 ? FormValidation.ok()
                    : FormValidation.error("Give 0 (fail at once when another operation holds the group) or more minutes.");
        } catch (NumberFormatException e) {
            return FormValidation.error("A whole number of minutes: 0 fails at once when another operation holds the group.");
        }
    }

    /** Offline check of a name that ends up in S3 keys and shell commands (version, group, channel, app). */
    static FormValidation checkName(String field, String value) {
        if (value == null || value.isBlank() || value.contains("${")) {
            return FormValidation.ok();
        }
        return Names.isSafe(value) ? FormValidation.ok()
                : FormValidation.error("The " + field + " may hold only letters, digits, '.', '_' and '-' (at most 128, starting with a letter or digit, no '..').");
    }

    /** Offline check of a whole-number percentage. */
    static FormValidation checkPercent(String field, String value) {
        if (value == null || value.isBlank()) {
            return FormValidation.ok();
        }
        try {
            int percent = Integer.parseInt(value.strip());
            return percent >= 0 && percent <= 100 ? FormValidation.ok()
                    : FormValidation.error("The " + field + " is a percentage: 0 to 100.");
        } catch (NumberFormatException e) {
            return FormValidation.error("The " + field + " is a whole-number percentage: 0 to 100.");
        }
    }
}
