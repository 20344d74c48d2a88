import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MultiTermQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.RegexpQuery;
import org.apache.lucene.search.WildcardQuery;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;

/**
 * Goldens for retrievo's multi-term queries: Lucene 8.8's FuzzyQuery, WildcardQuery, RegexpQuery and
 * PrefixQuery over CISI (title/author/text with the standard analyzer without stop words, author.keyword
 * as an Elasticsearch keyword field), one segment, LegacyBM25Similarity (Elasticsearch's default).
 * Usage: MultiTermOracle CORPUS.jsonl QUERIES.jsonl OUT.json
 */
public class MultiTermOracle {
  public static void main(String[] args) throws Exception {
    List<Document> docs = new ArrayList<>();
    for (JsonNode d : OracleSupport.readJsonLines(args[0])) {
      Document doc = OracleSupport.cisiDocument(d);
      if (d.hasNonNull("author")) doc.add(new StringField("author.keyword", d.get("author").asText(), Field.Store.NO));
      docs.add(doc);
    }
    IndexReader reader = OracleSupport.indexOneSegment(new IndexWriterConfig(OracleSupport.cisiAnalyzer()), docs);
    IndexSearcher searcher = OracleSupport.searcher(reader, new LegacyBM25Similarity());
    OracleSupport.eachCase(args[1], args[2], (q, res) -> {
      Query query = build(q);
      res.put("lucene", query.toString());
      res.put("rewritten", searcher.rewrite(query).toString());
      res.put("total", searcher.count(query));
      OracleSupport.putHits(res, searcher, query, 20);
    });
  }

  static Query build(JsonNode q) {
    String type = q.get("type").asText();
    Term t = new Term(q.get("field").asText(), q.get("value").asText());
    MultiTermQuery mtq;
    switch (type) {
      case "fuzzy":
        mtq = new FuzzyQuery(t, q.path("max_edits").asInt(2), q.path("prefix_length").asInt(0),
            q.path("max_expansions").asInt(50), q.path("transpositions").asBoolean(true));
        break;
      case "wildcard":
        mtq = new WildcardQuery(t);
        break;
      case "regexp":
        mtq = new RegexpQuery(t, q.path("flags").asInt(org.apache.lucene.util.automaton.RegExp.ALL),
            q.path("case_insensitive").asBoolean(false) ? org.apache.lucene.util.automaton.RegExp.ASCII_CASE_INSENSITIVE : 0,
            org.apache.lucene.util.automaton.Operations.DEFAULT_MAX_DETERMINIZED_STATES);
        break;
      case "prefix":
        mtq = new PrefixQuery(t);
        break;
      default:
        throw new IllegalArgumentException(type);
    }
    String rw = q.path("rewrite").asText("");
    if (rw.equals("scoring_boolean")) mtq.setRewriteMethod(MultiTermQuery.SCORING_BOOLEAN_REWRITE);
    else if (rw.equals("constant_score_boolean")) mtq.setRewriteMethod(MultiTermQuery.CONSTANT_SCORE_BOOLEAN_REWRITE);
    else if (rw.equals("constant_score")) mtq.setRewriteMethod(MultiTermQuery.CONSTANT_SCORE_REWRITE);
    else if (rw.startsWith("top_terms_blended_freqs_"))
      mtq.setRewriteMethod(new MultiTermQuery.TopTermsBlendedFreqScoringRewrite(Integer.parseInt(rw.substring(24))));
    else if (rw.startsWith("top_terms_boost_"))
      mtq.setRewriteMethod(new MultiTermQuery.TopTermsBoostOnlyBooleanQueryRewrite(Integer.parseInt(rw.substring(16))));
    else if (rw.startsWith("top_terms_"))
      mtq.setRewriteMethod(new MultiTermQuery.TopTermsScoringBooleanQueryRewrite(Integer.parseInt(rw.substring(10))));
    else if (!rw.isEmpty()) throw new IllegalArgumentException(rw);
    return mtq;
  }
}
