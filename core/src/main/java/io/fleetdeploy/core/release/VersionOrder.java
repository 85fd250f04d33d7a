package io.fleetdeploy.core.release;

import java.math.BigInteger;
import java.util.Comparator;

/** Orders version strings the way people read them: digit runs as numbers, so 1.10 comes after 1.9. */
final class VersionOrder implements Comparator<String> {

    static final VersionOrder NATURAL = new VersionOrder();

    @Override
    public int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int endA = runEnd(a, i);
            int endB = runEnd(b, j);
            String runA = a.substring(i, endA);
            String runB = b.substring(j, endB);
            int order = Character.isDigit(runA.charAt(0)) && Character.isDigit(runB.charAt(0))
                    ? new BigInteger(runA).compareTo(new BigInteger(runB))
                    : runA.compareTo(runB);
            if (order != 0) {
                return order;
            }
            i = endA;
            j = endB;
        }
        return Integer.compare(a.length() - i, b.length() - j) != 0 ? Integer.compare(a.length() - i, b.length() - j) : a.compareTo(b);
    }

    private static int runEnd(String s, int start) {
        boolean digits = Character.isDigit(s.charAt(start));
        int end = start + 1;
        while (end < s.length() && Character.isDigit(s.charAt(end)) == digits) {
            end++;
        }
        return end;
    }
}
