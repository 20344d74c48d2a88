import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.search.BM25FQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.util.BytesRef;

/**
 * Goldens for retrievo's combined_fields query: one BM25FQuery (Lucene 8.8's name for the sandbox's
 * CombinedFieldQuery) per analysed token over the case's weighted fields, joined by a BooleanQuery
 * (SHOULD for operator or, MUST for and, with minimum_should_match as a count), over CISI (title,
 * author, text; standard analyzer without stop words), one segment. BM25FQuery scores with its own
 * BM25Similarity, so Elasticsearch's LegacyBM25Similarity (boost times 1 + k1) is reproduced by
 * wrapping the query in a BoostQuery of 2.2f. Usage: CombinedFieldsOracle CORPUS.jsonl CASES.jsonl OUT.json
 */
public class CombinedFieldsOracle {
  public static void main(String[] args) throws Exception {
    IndexReader reader = OracleSupport.indexCisi(args[0]);
    IndexSearcher searcher = OracleSupport.searcher(reader, new BM25Similarity());
    OracleSupport.eachCase(args[1], args[2], (c, res) -> {
      Query query = new BoostQuery(build(c), 2.2f * (float) c.path("boost").asDouble(1.0));
      res.put("total", searcher.count(query));
      res.put("every_term_in_every_field", complete(c, reader));
      OracleSupport.putHits(res, searcher, query, 20);
    });
  }

  /**
   * Whether each token occurs in each field. Lucene 8.8's BM25FQuery sums the norms of the fields whose
   * term exists in the segment (and scores a single one as a plain TermQuery); Lucene 9+'s
   * CombinedFieldQuery, which Elasticsearch 9 runs, sums every field's. The two agree only when this holds.
   */
  static boolean complete(JsonNode c, IndexReader reader) throws Exception {
    for (String t : tokens(c)) {
      for (Iterator<String> it = c.get("fields").fieldNames(); it.hasNext(); ) {
        if (reader.docFreq(new org.apache.lucene.index.Term(it.next(), t)) == 0) return false;
      }
    }
    return true;
  }

  static List<String> tokens(JsonNode c) throws Exception {
    List<String> tokens = new ArrayList<>();
    try (TokenStream ts = OracleSupport.STANDARD.tokenStream("text", c.get("query").asText())) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) tokens.add(term.toString());
      ts.end();
    }
    return tokens;
  }

  static Query build(JsonNode c) throws Exception {
    List<Query> clauses = new ArrayList<>();
    for (String t : tokens(c)) {
      BM25FQuery.Builder b = new BM25FQuery.Builder();
      for (Iterator<Map.Entry<String, JsonNode>> it = c.get("fields").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        b.addField(e.getKey(), (float) e.getValue().asDouble());
      }
      b.addTerm(new BytesRef(t));
      clauses.add(b.build());
    }
    return OracleSupport.joinClauses(clauses, c);
  }
}
