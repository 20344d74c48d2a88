import com.fasterxml.jackson.databind.*;
import com.fasterxml.jackson.databind.node.*;
import java.io.File;
import java.util.*;
import org.tartarus.snowball.SnowballProgram;
public class SnowStem {
    public static void main(String[] a) throws Exception {
        ObjectMapper m = new ObjectMapper();
        JsonNode root = m.readTree(new File(a[0]));
        ObjectNode out = m.createObjectNode();
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String py = it.next();
            String java = root.get(py).get("java").asText();
            SnowballProgram p = (SnowballProgram) Class.forName("org.tartarus.snowball.ext." + java + "Stemmer").getDeclaredConstructor().newInstance();
            ArrayNode arr = out.putArray(py);
            for (JsonNode w : root.get(py).get("words")) { p.setCurrent(w.asText()); p.stem(); arr.add(p.getCurrent()); }
        }
        m.writeValue(new File(a[1]), out);
    }
}
