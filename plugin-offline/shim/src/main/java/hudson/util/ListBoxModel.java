package hudson.util;

import java.util.ArrayList;

/** jenkinsci/jenkins core. */
public class ListBoxModel extends ArrayList<ListBoxModel.Option> {
    private static final long serialVersionUID = 1L;

    public ListBoxModel add(String displayName, String value) {
        add(new Option(displayName, value));
        return this;
    }

    public ListBoxModel add(String nameAndValue) {
        return add(nameAndValue, nameAndValue);
    }

    public static final class Option {
        public String name;
        public String value;
        public boolean selected;

        public Option(String name, String value) {
            this.name = name;
            this.value = value;
        }

        public Option(String name) {
            this(name, name);
        }
    }
}
