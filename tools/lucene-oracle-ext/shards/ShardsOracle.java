import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DisjunctionMaxQuery;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.StringHelper;

/**
 * Goldens for searches over an index with several shards. Each CISI document goes to the shard
 * Elasticsearch's IndexRouting gives it (IndexRouting.Unpartitioned + Murmur3HashFunction: Lucene's
 * murmurhash3_x86_32, seed 0, over each UTF-16 char as two bytes, low byte first; floorMod by
 * routing_num_shards, divided by the routing factor), with its _id or, for some documents, a custom
 * routing value. Each shard is its own one-segment Lucene index scored with LegacyBM25Similarity
 * (Elasticsearch's default), so query_then_fetch scores each document with its own shard's statistics;
 * the coordinator's merge is Lucene's TopDocs.merge (score desc, then shard index, then the shard's own
 * order). dfs_query_then_fetch is one index holding every document (global statistics), its hits split
 * per shard and merged the same way. Last, one search over two of those indices (cisi2 and cisi3): the
 * shards in Elasticsearch's ShardId order, dfs statistics over both indices.
 *
 * Self-contained on purpose (common/OracleSupport.java was being reworked when this was written): it
 * needs lucene-core, lucene-analyzers-common, lucene-misc and Jackson.
 * Usage: ShardsOracle CORPUS.jsonl CASES.jsonl OUT.json
 */
public class ShardsOracle {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String[] FIELDS = {"title", "author", "text"};
  /** Elasticsearch's "standard" analyzer: standard tokenizer and lowercase, no stop words. */
  static final Analyzer STANDARD = new StandardAnalyzer(CharArraySet.EMPTY_SET);
  static final int[] SHARD_COUNTS = {2, 3, 5};
  /** Custom routing values searched with the search's own routing parameter. */
  static final String[] SEARCH_ROUTINGS = {"r1", "r2"};
  /** One search over two indices: names and shard counts (the test names its indices cisi{N}). */
  static final String[] MULTI_INDEX = {"cisi2", "cisi3"};
  /** Routing strings hashed for the golden: empty, odd and even lengths (2-byte tails), non-ASCII, a surrogate pair. */
  static final String[] HASHED = {"", "a", "ab", "abc", "abcd", "1460", "user_42", "caf\u00e9", "\u65e5\u672c",
    "\ud83d\ude00", "\u0100x"};

  public static void main(String[] args) throws Exception {
    List<JsonNode> corpus = readJsonLines(args[0]);
    List<JsonNode> cases = readJsonLines(args[1]);
    ObjectNode out = JSON.createObjectNode();
    out.put("note", "ids: the corpus's _ids in order; routing: [_id, custom routing] of the documents "
        + "indexed with one; per shard count: routing_num_shards, each id's shard by its _id alone (id_shards) "
        + "and as indexed (shards), both aligned with ids, and per case the merged top hits [_id, score] and "
        + "total under query_then_fetch, dfs_query_then_fetch and a search routed to one routing value; "
        + "multi_index: one search over cisi2 and cisi3, hits [_index, _id, score]");
    ArrayNode ids = out.putArray("ids");
    ArrayNode routingOut = out.putArray("routing");
    for (JsonNode d : corpus) {
      String id = d.get("_id").asText();
      ids.add(id);
      String r = customRouting(id);
      if (r != null) routingOut.addArray().add(id).add(r);
    }
    ArrayNode hashes = out.putArray("hashes"); // [text, Murmur3HashFunction.hash(text)]
    for (String text : HASHED) hashes.addArray().add(text).add(routingHash(text));
    out.set("cases", JSON.valueToTree(cases));
    ObjectNode perCount = out.putObject("shard_counts");
    for (int n : SHARD_COUNTS) perCount.set(Integer.toString(n), runShardCount(n, corpus, cases));
    out.set("multi_index", runMultiIndex(MULTI_INDEX, corpus, cases));
    try (PrintWriter pw = new PrintWriter(args[2], "UTF-8")) {
      pw.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    }
  }

  /** Every 7th document (by numeric id) is indexed with routing "r0", "r1" or "r2". */
  static String customRouting(String id) {
    int n = Integer.parseInt(id);
    return n % 7 == 0 ? "r" + (n % 3) : null;
  }

  /** Murmur3HashFunction.hash(String): each UTF-16 char's low byte, then its high byte. */
  static int routingHash(String routing) {
    byte[] bytes = new byte[routing.length() * 2];
    for (int i = 0; i < routing.length(); i++) {
      char c = routing.charAt(i);
      bytes[i * 2] = (byte) c;
      bytes[i * 2 + 1] = (byte) (c >>> 8);
    }
    return StringHelper.murmurhash3_x86_32(bytes, 0, bytes.length, 0);
  }

  /** MetadataCreateIndexService.calculateNumRoutingShards for an index created on 7.0 or later. */
  static int routingNumShards(int numShards) {
    int log2NumShards = 32 - Integer.numberOfLeadingZeros(numShards - 1);
    int numSplits = Math.max(1, 10 - log2NumShards);
    return numShards << numSplits;
  }

  static int shardFor(String routing, int numShards) {
    int rns = routingNumShards(numShards);
    return Math.floorMod(routingHash(routing), rns) / (rns / numShards);
  }

  static ObjectNode runShardCount(int n, List<JsonNode> corpus, List<JsonNode> cases) throws Exception {
    ObjectNode res = JSON.createObjectNode();
    res.put("routing_num_shards", routingNumShards(n));
    ArrayNode idShards = res.putArray("id_shards");
    ArrayNode shards = res.putArray("shards");
    List<List<Document>> perShard = new ArrayList<>();
    for (int s = 0; s < n; s++) perShard.add(new ArrayList<>());
    List<Document> all = new ArrayList<>();
    List<Integer> shardOfDoc = new ArrayList<>(); // by corpus position = global doc id
    for (JsonNode d : corpus) {
      String id = d.get("_id").asText();
      int shard = indexedShard(id, n);
      idShards.add(shardFor(id, n));
      shards.add(shard);
      perShard.get(shard).add(document(d));
      all.add(document(d));
      shardOfDoc.add(shard);
    }
    IndexSearcher[] shardSearchers = new IndexSearcher[n];
    for (int s = 0; s < n; s++) shardSearchers[s] = searcher(perShard.get(s));
    IndexSearcher global = searcher(all);
    ObjectNode qtf = res.putObject("query_then_fetch");
    ObjectNode dfs = res.putObject("dfs_query_then_fetch");
    ObjectNode routed = res.putObject("routed");
    for (String r : SEARCH_ROUTINGS) {
      ObjectNode one = routed.putObject(r);
      one.put("shard", shardFor(r, n));
    }
    for (JsonNode c : cases) {
      String id = c.get("id").asText();
      int size = c.get("size").asInt();
      Query q = parse(c.get("query"));
      TopDocs[] shardTops = new TopDocs[n];
      for (int s = 0; s < n; s++) shardTops[s] = shardSearchers[s].search(q, size);
      qtf.set(id, hits(TopDocs.merge(size, shardTops), shardSearchers));
      // dfs: every document scored with the index-wide statistics, each shard's top `size`, merged
      TopDocs[] dfsTops = splitGlobal(global, q, size, shardOfDoc, n);
      IndexSearcher[] globals = new IndexSearcher[n];
      java.util.Arrays.fill(globals, global);
      dfs.set(id, hits(TopDocs.merge(size, dfsTops), globals));
      for (String r : SEARCH_ROUTINGS) {
        int s = shardFor(r, n);
        ((ObjectNode) routed.get(r)).set(id, hits(TopDocs.merge(size, new TopDocs[] {shardTops[s]}), new IndexSearcher[] {shardSearchers[s]}));
      }
    }
    return res;
  }

  /**
   * One search over several indices (named cisi{N}, N shards each). Elasticsearch sorts the search's shards
   * by ShardId (shard number, then index name: ShardId.compareTo, SearchShardIterator.compareTo), and that
   * position is the shard index TopDocs.merge breaks ties on. Under dfs_query_then_fetch the statistics
   * are aggregated over every shard of every index searched (SearchPhaseController.aggregateDfs): one index
   * holding each index's documents in turn.
   */
  static ObjectNode runMultiIndex(String[] names, List<JsonNode> corpus, List<JsonNode> cases) throws Exception {
    ObjectNode res = JSON.createObjectNode();
    res.set("indices", JSON.valueToTree(names));
    List<int[]> order = new ArrayList<>(); // {shard, index position}, in ShardId order
    int maxShards = 0;
    for (String name : names) maxShards = Math.max(maxShards, shardCount(name));
    for (int s = 0; s < maxShards; s++) {
      List<Integer> positions = new ArrayList<>();
      for (int i = 0; i < names.length; i++) if (s < shardCount(names[i])) positions.add(i);
      positions.sort((a, b) -> names[a].compareTo(names[b]));
      for (int i : positions) order.add(new int[] {s, i});
    }
    ArrayNode shardList = res.putArray("shard_order");
    for (int[] o : order) shardList.add("[" + names[o[1]] + "][" + o[0] + "]");
    IndexSearcher[] searchers = new IndexSearcher[order.size()];
    List<Document> all = new ArrayList<>();
    List<Integer> slotOfGlobal = new ArrayList<>(); // global doc -> position in `order`
    for (int slot = 0; slot < order.size(); slot++) {
      int shard = order.get(slot)[0];
      int n = shardCount(names[order.get(slot)[1]]);
      List<Document> docs = new ArrayList<>();
      for (JsonNode d : corpus) if (indexedShard(d.get("_id").asText(), n) == shard) docs.add(document(d));
      searchers[slot] = searcher(docs);
    }
    for (int i = 0; i < names.length; i++) {
      int n = shardCount(names[i]);
      for (JsonNode d : corpus) {
        all.add(document(d));
        int shard = indexedShard(d.get("_id").asText(), n);
        for (int slot = 0; slot < order.size(); slot++) {
          if (order.get(slot)[0] == shard && order.get(slot)[1] == i) slotOfGlobal.add(slot);
        }
      }
    }
    IndexSearcher global = searcher(all);
    ObjectNode qtf = res.putObject("query_then_fetch");
    ObjectNode dfs = res.putObject("dfs_query_then_fetch");
    for (JsonNode c : cases) {
      String id = c.get("id").asText();
      int size = c.get("size").asInt();
      Query q = parse(c.get("query"));
      TopDocs[] tops = new TopDocs[order.size()];
      for (int slot = 0; slot < order.size(); slot++) tops[slot] = searchers[slot].search(q, size);
      qtf.set(id, indexedHits(TopDocs.merge(size, tops), searchers, order, names));
      TopDocs[] dfsTops = splitGlobal(global, q, size, slotOfGlobal, order.size());
      IndexSearcher[] globals = new IndexSearcher[order.size()];
      java.util.Arrays.fill(globals, global);
      dfs.set(id, indexedHits(TopDocs.merge(size, dfsTops), globals, order, names));
    }
    return res;
  }

  static int shardCount(String name) {
    return Integer.parseInt(name.substring("cisi".length()));
  }

  static int indexedShard(String id, int n) {
    String custom = customRouting(id);
    return shardFor(custom == null ? id : custom, n);
  }

  /** Every match of q on the global index, each shard's top `size` of them as that shard's TopDocs. */
  static TopDocs[] splitGlobal(IndexSearcher global, Query q, int size, List<Integer> shardOf, int shards) throws IOException {
    TopDocs everything = global.search(q, Math.max(1, global.getIndexReader().maxDoc()));
    List<List<ScoreDoc>> split = new ArrayList<>();
    long[] matched = new long[shards];
    for (int s = 0; s < shards; s++) split.add(new ArrayList<>());
    for (ScoreDoc sd : everything.scoreDocs) {
      int s = shardOf.get(sd.doc);
      matched[s]++;
      if (split.get(s).size() < size) split.get(s).add(sd);
    }
    TopDocs[] tops = new TopDocs[shards];
    for (int s = 0; s < shards; s++) {
      tops[s] = new TopDocs(new TotalHits(matched[s], TotalHits.Relation.EQUAL_TO), split.get(s).toArray(new ScoreDoc[0]));
    }
    return tops;
  }

  /** Merged hits over several indices: total and [_index, _id, score] per hit. */
  static ObjectNode indexedHits(TopDocs merged, IndexSearcher[] searchers, List<int[]> order, String[] names) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("total", merged.totalHits.value);
    ArrayNode hits = o.putArray("hits");
    for (ScoreDoc sd : merged.scoreDocs) {
      hits.addArray().add(names[order.get(sd.shardIndex)[1]]).add(searchers[sd.shardIndex].doc(sd.doc).get("_id")).add(sd.score);
    }
    return o;
  }

  /** The merged hits: total (the shards' totals summed) and [_id, score] per hit. */
  static ObjectNode hits(TopDocs merged, IndexSearcher[] searchers) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("total", merged.totalHits.value);
    ArrayNode hits = o.putArray("hits");
    for (ScoreDoc sd : merged.scoreDocs) {
      ArrayNode h = hits.addArray();
      h.add(searchers[sd.shardIndex].doc(sd.doc).get("_id"));
      h.add(sd.score);
    }
    return o;
  }

  /** The subset of Elasticsearch's query DSL the cases use, built as Elasticsearch 9 builds it. */
  static Query parse(JsonNode q) throws IOException {
    Map.Entry<String, JsonNode> e = q.fields().next();
    JsonNode body = e.getValue();
    switch (e.getKey()) {
      case "term": {
        Map.Entry<String, JsonNode> f = body.fields().next();
        return new TermQuery(new Term(f.getKey(), f.getValue().asText()));
      }
      case "match": {
        Map.Entry<String, JsonNode> f = body.fields().next();
        List<String> tokens = analyze(f.getKey(), f.getValue().asText());
        if (tokens.size() == 1) return new TermQuery(new Term(f.getKey(), tokens.get(0)));
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (String t : tokens) b.add(new TermQuery(new Term(f.getKey(), t)), BooleanClause.Occur.SHOULD);
        return b.build();
      }
      case "match_phrase": {
        Map.Entry<String, JsonNode> f = body.fields().next();
        PhraseQuery.Builder b = new PhraseQuery.Builder();
        for (String t : analyze(f.getKey(), f.getValue().asText())) b.add(new Term(f.getKey(), t));
        return b.build();
      }
      case "fuzzy": {
        // FuzzyQueryBuilder's defaults: prefix_length 0, max_expansions 50, transpositions; FuzzyQuery's own
        // rewrite (top terms blended by document frequency), chosen on each shard from that shard's terms
        Map.Entry<String, JsonNode> f = body.fields().next();
        JsonNode o = f.getValue();
        return new FuzzyQuery(new Term(f.getKey(), o.get("value").asText()), o.get("fuzziness").asInt(),
            o.path("prefix_length").asInt(0), o.path("max_expansions").asInt(50), true);
      }
      case "prefix": {
        // constant score: every match scores the boost, so the merge's tie order decides the hits
        Map.Entry<String, JsonNode> f = body.fields().next();
        return new PrefixQuery(new Term(f.getKey(), f.getValue().asText()));
      }
      case "multi_match": {
        // best_fields (the default type): each field's match query under one DisjunctionMaxQuery
        List<Query> perField = new ArrayList<>();
        for (JsonNode field : body.get("fields")) {
          ObjectNode match = JSON.createObjectNode();
          match.putObject("match").put(field.asText(), body.get("query").asText());
          perField.add(parse(match));
        }
        return new DisjunctionMaxQuery(perField, (float) body.path("tie_breaker").asDouble(0.0));
      }
      case "bool": {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        add(b, body, "must", BooleanClause.Occur.MUST);
        add(b, body, "should", BooleanClause.Occur.SHOULD);
        add(b, body, "must_not", BooleanClause.Occur.MUST_NOT);
        add(b, body, "filter", BooleanClause.Occur.FILTER);
        return b.build();
      }
      default:
        throw new IllegalArgumentException(e.getKey());
    }
  }

  static void add(BooleanQuery.Builder b, JsonNode body, String key, BooleanClause.Occur occur) throws IOException {
    for (Iterator<JsonNode> it = body.path(key).elements(); it.hasNext(); ) b.add(parse(it.next()), occur);
  }

  static List<String> analyze(String field, String text) throws IOException {
    List<String> tokens = new ArrayList<>();
    try (TokenStream ts = STANDARD.tokenStream(field, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) tokens.add(term.toString());
      ts.end();
    }
    return tokens;
  }

  /** A CISI record: stored keyword _id, then title/author/text with the standard analyzer. */
  static Document document(JsonNode d) {
    Document doc = new Document();
    doc.add(new StringField("_id", d.get("_id").asText(), Field.Store.YES));
    for (String f : FIELDS) {
      if (d.hasNonNull(f)) doc.add(new TextField(f, d.get(f).asText(), Field.Store.NO));
    }
    return doc;
  }

  /** The documents in order, one segment (so doc ids follow that order), scored with LegacyBM25. */
  static IndexSearcher searcher(List<Document> docs) throws IOException {
    ByteBuffersDirectory dir = new ByteBuffersDirectory();
    try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig(STANDARD))) {
      for (Document doc : docs) w.addDocument(doc);
      w.forceMerge(1);
    }
    IndexSearcher s = new IndexSearcher(DirectoryReader.open(dir));
    s.setSimilarity(new LegacyBM25Similarity());
    return s;
  }

  static List<JsonNode> readJsonLines(String path) throws IOException {
    List<JsonNode> values = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(Paths.get(path), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) if (!line.isBlank()) values.add(JSON.readTree(line));
    }
    return values;
  }
}
