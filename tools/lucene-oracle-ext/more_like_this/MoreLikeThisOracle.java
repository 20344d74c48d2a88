import com.fasterxml.jackson.databind.JsonNode;
import java.io.StringReader;
import java.util.HashSet;
import java.util.Set;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.queries.mlt.MoreLikeThis;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;

/**
 * Goldens for retrievo's more_like_this query with one field and like texts: Lucene 8.8.1's MoreLikeThis
 * (lucene-queries) picks the terms (ClassicSimilarity idf over the live documents, tf x idf, a priority
 * queue of max_query_terms fed in HashMap order), builds the BooleanQuery of SHOULD term queries
 * (optionally boosted), and minimum_should_match is set as a count, as Elasticsearch's XMoreLikeThis does
 * for a single field. Index: CISI (title, author, text; standard analyzer without stop words), one
 * segment, LegacyBM25Similarity. Usage: MoreLikeThisOracle CORPUS.jsonl CASES.jsonl OUT.json
 */
public class MoreLikeThisOracle {
  public static void main(String[] args) throws Exception {
    IndexReader reader = OracleSupport.indexCisi(args[0]);
    IndexSearcher searcher = OracleSupport.searcher(reader, new LegacyBM25Similarity());
    OracleSupport.eachCase(args[1], args[2], (c, res) -> {
      MoreLikeThis mlt = new MoreLikeThis(reader);
      String field = c.get("field").asText();
      mlt.setFieldNames(new String[] {field});
      mlt.setAnalyzer(OracleSupport.STANDARD);
      mlt.setMaxQueryTerms(c.path("max_query_terms").asInt(25));
      mlt.setMinTermFreq(c.path("min_term_freq").asInt(2));
      mlt.setMinDocFreq(c.path("min_doc_freq").asInt(5));
      mlt.setMaxDocFreq(c.path("max_doc_freq").asInt(Integer.MAX_VALUE));
      mlt.setMinWordLen(c.path("min_word_length").asInt(0));
      mlt.setMaxWordLen(c.path("max_word_length").asInt(0));
      if (c.has("stop_words")) {
        Set<String> stop = new HashSet<>();
        for (JsonNode s : c.get("stop_words")) stop.add(s.asText());
        mlt.setStopWords(stop);
      }
      if (c.has("boost_terms")) {
        mlt.setBoost(true);
        mlt.setBoostFactor((float) c.get("boost_terms").asDouble());
      }
      BooleanQuery selected = (BooleanQuery) mlt.like(field, new StringReader(c.get("like").asText()));
      Query query = OracleSupport.withMinimumShouldMatch(selected, c.path("msm").asInt(0));
      res.put("query", query.toString());
      res.put("total", searcher.count(query));
      OracleSupport.putHits(res, searcher, query, 20);
    });
  }
}
