package io.jenkins.plugins.fleetdeploy.harness;

import com.cloudbees.jenkins.plugins.awscredentials.AmazonWebServicesCredentials;
import com.cloudbees.plugins.credentials.Credentials;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import com.cloudbees.plugins.credentials.common.IdCredentials;
import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import hudson.AbortException;
import java.util.LinkedHashMap;
import org.jenkinsci.plugins.plaincredentials.StringCredentials;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/** withCredentials bindings as the Credentials Binding plugin offers them: usernamePassword, string (secret text) and aws. */
final class CredentialBindings {

    private CredentialBindings() {
    }

    static Map<String, Object> describe(String kind, Map<String, Object> args) {
        Map<String, Object> binding = new LinkedHashMap<>(args);
        binding.put("$kind", kind);
        return binding;
    }

    static void bind(Map<String, Object> binding, Scope scope, MaskingLog log) throws AbortException {
        String id = String.valueOf(binding.get("credentialsId"));
        Credentials credential = find(id);
        switch (String.valueOf(binding.get("$kind"))) {
            case "usernamePassword" -> {
                StandardUsernamePasswordCredentials c = cast(credential, StandardUsernamePasswordCredentials.class, id);
                String password = c.getPassword().getPlainText();
                log.mask(password);
                scope.withEnv(String.valueOf(binding.get("usernameVariable")), c.getUsername());
                scope.withEnv(String.valueOf(binding.get("passwordVariable")), password);
            }
            case "string" -> {
                String secret = cast(credential, StringCredentials.class, id).getSecret().getPlainText();
                log.mask(secret);
                scope.withEnv(String.valueOf(binding.get("variable")), secret);
            }
            case "aws" -> {
                AwsCredentials keys = cast(credential, AmazonWebServicesCredentials.class, id).resolveCredentials();
                log.mask(keys.secretAccessKey());
                scope.withEnv(String.valueOf(binding.getOrDefault("accessKeyVariable", "AWS_ACCESS_KEY_ID")), keys.accessKeyId());
                scope.withEnv(String.valueOf(binding.getOrDefault("secretKeyVariable", "AWS_SECRET_ACCESS_KEY")), keys.secretAccessKey());
            }
            default -> throw new AbortException("unsupported binding " + binding);
        }
    }

    private static Credentials find(String id) throws AbortException {
        for (Credentials c : SystemCredentialsProvider.getInstance().getCredentials()) {
            if (c instanceof IdCredentials ic && ic.getId().equals(id)) {
                return c;
            }
        }
        throw new AbortException("Could not find credentials entry with ID '" + id + "'");
    }

    private static <T> T cast(Credentials c, Class<T> type, String id) throws AbortException {
        if (!type.isInstance(c)) {
            throw new AbortException("Credentials '" + id + "' is of type '" + c.getClass().getSimpleName()
                    + "' where '" + type.getName() + "' was expected");
        }
        return type.cast(c);
    }
}
