import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.MultiPhraseQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.StringHelper;

/**
 * Goldens for retrievo's match_phrase_prefix and match_bool_prefix: the Lucene 8.8 queries Elasticsearch
 * builds for them (MultiPhrasePrefixQuery's rewrite into a MultiPhraseQuery with the last position's
 * prefix expanded to at most max_expansions dictionary terms; a BooleanQuery of TermQuery clauses whose
 * last clause is a constant-score PrefixQuery when the text ends with that token) over CISI (title,
 * author, text with the standard analyzer without stop words), one segment, LegacyBM25Similarity.
 * The query construction is written from the behaviour of Elasticsearch's MatchQueryParser; scoring is
 * Lucene's. Usage: PrefixQueryOracle CORPUS.jsonl CASES.jsonl OUT.json
 */
public class PrefixQueryOracle {
  public static void main(String[] args) throws Exception {
    IndexReader reader = OracleSupport.indexCisi(args[0]);
    IndexSearcher searcher = OracleSupport.searcher(reader, new LegacyBM25Similarity());
    OracleSupport.eachCase(args[1], args[2], (q, res) -> {
      Query query = q.get("type").asText().equals("phrase_prefix") ? phrasePrefix(q, reader) : boolPrefix(q);
      res.put("rewritten", searcher.rewrite(query).toString());
      res.put("total", searcher.count(query));
      OracleSupport.putHits(res, searcher, query, 20);
    });
  }

  /** Analysed tokens: term, absolute position, end offset; the last element holds the final offset. */
  static List<Object[]> analyze(String field, String text) throws Exception {
    List<Object[]> tokens = new ArrayList<>();
    try (TokenStream ts = OracleSupport.STANDARD.tokenStream(field, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      PositionIncrementAttribute inc = ts.addAttribute(PositionIncrementAttribute.class);
      OffsetAttribute off = ts.addAttribute(OffsetAttribute.class);
      ts.reset();
      int pos = -1;
      while (ts.incrementToken()) {
        pos += inc.getPositionIncrement();
        tokens.add(new Object[] {term.toString(), pos, off.endOffset()});
      }
      ts.end();
      tokens.add(new Object[] {null, -1, off.endOffset()});
    }
    return tokens;
  }

  static Query phrasePrefix(JsonNode q, IndexReader reader) throws Exception {
    String field = q.get("field").asText();
    int maxExpansions = q.path("max_expansions").asInt(50);
    List<Object[]> tokens = analyze(field, q.get("text").asText());
    tokens.remove(tokens.size() - 1);
    if (tokens.isEmpty()) return new MatchNoDocsQuery("zero terms");
    MultiPhraseQuery.Builder b = new MultiPhraseQuery.Builder();
    b.setSlop(q.path("slop").asInt(0));
    for (int i = 0; i < tokens.size() - 1; i++) {
      b.add(new Term[] {new Term(field, (String) tokens.get(i)[0])}, (Integer) tokens.get(i)[1]);
    }
    Object[] last = tokens.get(tokens.size() - 1);
    BytesRef prefix = new BytesRef((String) last[0]);
    Set<Term> terms = new LinkedHashSet<>();
    outer:
    for (LeafReaderContext leaf : reader.leaves()) {
      Terms t = leaf.reader().terms(field);
      if (t == null) continue;
      TermsEnum te = t.iterator();
      if (te.seekCeil(prefix) == TermsEnum.SeekStatus.END) continue;
      for (BytesRef term = te.term(); term != null; term = te.next()) {
        if (!StringHelper.startsWith(term, prefix)) break;
        terms.add(new Term(field, BytesRef.deepCopyOf(term)));
        if (terms.size() >= maxExpansions) break outer;
      }
    }
    if (terms.isEmpty()) return new MatchNoDocsQuery("no expansions");
    b.add(terms.toArray(new Term[0]), (Integer) last[1]);
    return b.build();
  }

  static Query boolPrefix(JsonNode q) throws Exception {
    String field = q.get("field").asText();
    List<Object[]> tokens = analyze(field, q.get("text").asText());
    int finalOffset = (Integer) tokens.remove(tokens.size() - 1)[2];
    if (tokens.isEmpty()) return new MatchNoDocsQuery("zero terms");
    boolean lastIsPrefix = (Integer) tokens.get(tokens.size() - 1)[2] == finalOffset;
    List<Query> clauses = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      Term t = new Term(field, (String) tokens.get(i)[0]);
      clauses.add(i == tokens.size() - 1 && lastIsPrefix ? new PrefixQuery(t) : new TermQuery(t));
    }
    return OracleSupport.joinClauses(clauses, q);
  }
}
