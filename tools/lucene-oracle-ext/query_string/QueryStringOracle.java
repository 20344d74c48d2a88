import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.queryparser.simple.SimpleQueryParser;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopScoreDocCollector;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;

/**
 * Goldens for retrievo's query_string: Lucene 8's classic QueryParser (default field "text", the standard
 * analyzer without stop words, as Elasticsearch's "standard") over CISI, scored by LegacyBM25Similarity
 * (Elasticsearch's default similarity). Cases are JSON lines on stdin:
 * {"id", "query", "default_operator": "or"|"and", "phrase_slop": n, "parser": "classic"|"simple", "flags": n} (the
 * simple parser is Lucene's SimpleQueryParser over the one field, its operators switched by "flags"); the golden
 * JSON goes to stdout.
 */
public class QueryStringOracle {
    public static void main(String[] args) throws Exception {
        String corpus = args[0];
        int top = Integer.parseInt(args[1]);
        Analyzer analyzer = OracleSupport.STANDARD;
        IndexWriterConfig cfg = new IndexWriterConfig(analyzer);
        cfg.setSimilarity(new LegacyBM25Similarity());
        DirectoryReader reader = OracleSupport.indexOneSegment(cfg, OracleSupport.cisiDocuments(corpus));
        IndexSearcher searcher = OracleSupport.searcher(reader, new LegacyBM25Similarity());
        ArrayNode cases = OracleSupport.JSON.createArrayNode();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (JsonNode c : OracleSupport.readJsonLines(in)) {
            Query q;
            boolean and = "and".equals(c.path("default_operator").asText("or"));
            if ("simple".equals(c.path("parser").asText("classic"))) {
                SimpleQueryParser simple = new SimpleQueryParser(analyzer, Map.of("text", 1.0f), c.path("flags").asInt(-1));
                if (and) simple.setDefaultOperator(BooleanClause.Occur.MUST);
                q = simple.parse(c.get("query").asText());
            } else {
                QueryParser parser = new QueryParser("text", analyzer);
                parser.setAllowLeadingWildcard(true);
                if (and) parser.setDefaultOperator(QueryParser.Operator.AND);
                parser.setPhraseSlop(c.path("phrase_slop").asInt(0));
                q = parser.parse(c.get("query").asText());
            }
            TopScoreDocCollector collector = TopScoreDocCollector.create(top, Integer.MAX_VALUE);
            searcher.search(q, collector);
            TopDocs docs = collector.topDocs();
            ObjectNode out = OracleSupport.JSON.createObjectNode();
            out.put("id", c.get("id").asText());
            out.put("query", c.get("query").asText());
            out.put("default_operator", c.path("default_operator").asText("or"));
            out.put("phrase_slop", c.path("phrase_slop").asInt(0));
            out.put("parser", c.path("parser").asText("classic"));
            out.put("flags", c.path("flags").asInt(-1));
            out.put("lucene", searcher.rewrite(q).toString());
            out.put("total", docs.totalHits.value);
            ArrayNode hits = out.putArray("hits");
            for (ScoreDoc sd : docs.scoreDocs) {
                ArrayNode h = hits.addArray();
                h.add(reader.document(sd.doc).get("_id"));
                h.add(sd.score);
            }
            cases.add(out);
        }
        ObjectNode golden = OracleSupport.JSON.createObjectNode();
        golden.put("description", "query_string goldens: Lucene 8 classic QueryParser, default field text, standard "
            + "analyzer (no stop words), LegacyBM25Similarity, CISI, top " + top);
        golden.set("cases", cases);
        System.out.println(OracleSupport.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(golden));
    }
}
