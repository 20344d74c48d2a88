import org.apache.lucene.queryparser.classic.QueryParser;
import com.fasterxml.jackson.databind.ObjectMapper;
/**
 * Parse outcomes of Lucene 8.8.1's classic QueryParser (default field "f", leading wildcards allowed): for each
 * JSON string on stdin, one JSON line [query, "OK", toString] or [query, "ERR", first line of the message].
 */
public class ParseOracle { public static void main(String[] a) throws Exception {
  ObjectMapper m = OracleSupport.JSON;
  java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, "UTF-8"));
  String line;
  while ((line = in.readLine()) != null) {
    if (line.isBlank()) continue;
    String q = m.readValue(line, String.class);
    QueryParser p = new QueryParser("f", OracleSupport.STANDARD);
    p.setAllowLeadingWildcard(true);
    String status, detail;
    try { detail = p.parse(q).toString(); status = "OK"; } catch (Throwable e) { detail = e.getMessage().split("\n")[0]; status = "ERR"; }
    System.out.println(m.writeValueAsString(new String[] {q, status, detail}));
  }}}
