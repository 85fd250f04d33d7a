package io.jenkins.plugins.fleetdeploy.steps;

import com.cloudbees.jenkins.plugins.awscredentials.AmazonWebServicesCredentials;
import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.common.StandardListBoxModel;
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

    /** The credentials plugin's consumer guide: list only for those who may configure or use the item's credentials. */
    public ListBoxModel doFillCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String credentialsId) {
        StandardListBoxModel result = new StandardListBoxModel();
        if (item == null) {
            if (!Jenkins.get().hasPermission(Jenkins.ADMINISTER)) {
                return result.includeCurrentValue(credentialsId);
            }
        } else if (!item.hasPermission(Item.EXTENDED_READ) && !item.hasPermission(CredentialsProvider.USE_ITEM)) {
            return result.includeCurrentValue(credentialsId);
        }
        return result.includeEmptyValue()
                .include(item, AmazonWebServicesCredentials.class)
                .includeCurrentValue(credentialsId);
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
