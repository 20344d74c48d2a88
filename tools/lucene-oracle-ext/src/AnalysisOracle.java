/*
 * Token-stream oracle for retrievo's analysis components (our own code, not Elasticsearch's).
 *
 * Reads JSON lines {"id", "text", "char_filter": [...], "tokenizer": {...}, "filter": [...]}
 * where each component is written with Elasticsearch's setting names, builds the matching
 * Lucene 8.8 objects the way Elasticsearch's analysis-common factories configure them, and
 * writes one JSON line per case: {"id", "text", "tokens": [{"token", "position", "start_cp",
 * "end_cp", "type", "position_length"}]}. Offsets are converted from UTF-16 to code points.
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.synonym.SolrSynonymParser;
import org.apache.lucene.analysis.synonym.SynonymFilter;
import org.apache.lucene.analysis.synonym.SynonymGraphFilter;
import org.apache.lucene.analysis.synonym.SynonymMap;
import org.apache.lucene.util.CharsRef;
import org.apache.lucene.util.CharsRefBuilder;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.charfilter.HTMLStripCharFilter;
import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.LowerCaseFilter;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.miscellaneous.LengthFilter;
import org.apache.lucene.analysis.miscellaneous.TrimFilter;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.miscellaneous.KeepWordFilter;
import org.apache.lucene.analysis.miscellaneous.LimitTokenCountFilter;
import org.apache.lucene.analysis.miscellaneous.RemoveDuplicatesTokenFilter;
import org.apache.lucene.analysis.tr.ApostropheFilter;
import org.apache.lucene.analysis.core.DecimalDigitFilter;
import org.apache.lucene.analysis.pattern.PatternReplaceFilter;
import org.apache.lucene.analysis.util.ElisionFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterGraphFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterIterator;
import org.apache.lucene.analysis.miscellaneous.TruncateTokenFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenizer;
import org.apache.lucene.analysis.ngram.NGramTokenFilter;
import org.apache.lucene.analysis.ngram.NGramTokenizer;
import org.apache.lucene.analysis.path.PathHierarchyTokenizer;
import org.apache.lucene.analysis.path.ReversePathHierarchyTokenizer;
import org.apache.lucene.analysis.pattern.PatternReplaceCharFilter;
import org.apache.lucene.analysis.pattern.PatternTokenizer;
import org.apache.lucene.analysis.reverse.ReverseStringFilter;
import org.apache.lucene.analysis.shingle.ShingleFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionLengthAttribute;
import org.apache.lucene.analysis.tokenattributes.TypeAttribute;

public final class AnalysisOracle {
    // Escaping non-ASCII keeps lone surrogates (truncate can cut a pair) intact as \\uXXXX.
    static final ObjectMapper JSON = new ObjectMapper()
        .configure(com.fasterxml.jackson.core.JsonGenerator.Feature.ESCAPE_NON_ASCII, true);

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            JsonNode c = JSON.readTree(line);
            ObjectNode out = JSON.createObjectNode();
            out.put("id", c.get("id").asText());
            String text = c.get("text").asText();
            out.put("text", text);
            out.set("tokens", run(c, text));
            System.out.println(JSON.writeValueAsString(out));
        }
    }

    static ArrayNode run(JsonNode c, String text) throws Exception {
        Reader reader = new StringReader(text);
        for (JsonNode cf : c.path("char_filter")) reader = charFilter(cf, reader);
        Tokenizer tok = tokenizer(c.get("tokenizer"));
        tok.setReader(reader);
        TokenStream ts = tok;
        int i = 0;
        for (JsonNode f : c.path("filter")) {
            String type = f.get("type").asText();
            if (type.equals("synonym") || type.equals("synonym_graph")) {
                SynonymMap map = synonyms(f, prefixAnalyzer(c, i));
                if (map.fst != null) {
                    ts = type.equals("synonym") ? new SynonymFilter(ts, map, false) : new SynonymGraphFilter(ts, map, false);
                }
            } else {
                ts = filter(f, ts);
            }
            i++;
        }
        CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
        OffsetAttribute off = ts.addAttribute(OffsetAttribute.class);
        PositionIncrementAttribute inc = ts.addAttribute(PositionIncrementAttribute.class);
        PositionLengthAttribute len = ts.addAttribute(PositionLengthAttribute.class);
        TypeAttribute type = ts.addAttribute(TypeAttribute.class);
        ArrayNode tokens = JSON.createArrayNode();
        ts.reset();
        int pos = -1;
        while (ts.incrementToken()) {
            pos += inc.getPositionIncrement();
            ObjectNode t = tokens.addObject();
            t.put("token", term.toString());
            t.put("position", pos);
            t.put("start_cp", text.codePointCount(0, off.startOffset()));
            t.put("end_cp", text.codePointCount(0, off.endOffset()));
            t.put("type", type.type());
            t.put("position_length", len.getPositionLength());
        }
        ts.end();
        ts.close();
        return tokens;
    }

    /** The analyzer ES parses synonym rules with: char filters, tokenizer and the filters before. */
    static Analyzer prefixAnalyzer(JsonNode c, int upto) {
        return new Analyzer() {
            @Override protected TokenStreamComponents createComponents(String field) {
                Tokenizer tok = tokenizer(c.get("tokenizer"));
                TokenStream ts = tok;
                for (int j = 0; j < upto; j++) ts = filter(c.get("filter").get(j), ts);
                return new TokenStreamComponents(tok, ts);
            }
            @Override protected Reader initReader(String field, Reader reader) {
                for (JsonNode cf : c.path("char_filter")) reader = charFilter(cf, reader);
                return reader;
            }
        };
    }

    /** SolrSynonymParser with ES's lenient handling (a rule that fails to analyze is dropped). */
    static SynonymMap synonyms(JsonNode f, Analyzer analyzer) throws Exception {
        boolean expand = boolOr(f, "expand", true);
        boolean lenient = boolOr(f, "lenient", false);
        SolrSynonymParser parser = new SolrSynonymParser(true, expand, analyzer) {
            @Override public CharsRef analyze(String text, CharsRefBuilder reuse) throws java.io.IOException {
                try {
                    return super.analyze(text, reuse);
                } catch (IllegalArgumentException e) {
                    if (lenient) return new CharsRef("");
                    throw e;
                }
            }
            @Override public void add(CharsRef input, CharsRef output, boolean includeOrig) {
                if (!lenient || (input.length > 0 && output.length > 0)) super.add(input, output, includeOrig);
            }
        };
        StringBuilder rules = new StringBuilder();
        for (JsonNode r : f.get("synonyms")) rules.append(r.asText()).append('\n');
        parser.parse(new StringReader(rules.toString()));
        return parser.build();
    }

    /** ES's Regex.flagsFromString: pipe-separated java.util.regex.Pattern flag names. */
    static int flags(String names) throws IllegalArgumentException {
        int out = 0;
        for (String n : names.split("\\|")) {
            n = n.trim();
            if (n.isEmpty()) continue;
            switch (n) {
                case "CASE_INSENSITIVE": out |= Pattern.CASE_INSENSITIVE; break;
                case "DOTALL": out |= Pattern.DOTALL; break;
                case "LITERAL": out |= Pattern.LITERAL; break;
                default: throw new IllegalArgumentException("flag " + n);
            }
        }
        return out;
    }

    static CharArraySet words(JsonNode list, boolean ignoreCase) {
        List<String> out = new ArrayList<>();
        for (JsonNode w : list) out.add(w.asText());
        return new CharArraySet(out, ignoreCase);
    }

    static int intOr(JsonNode n, String key, int dflt) {
        return n.has(key) ? n.get(key).asInt() : dflt;
    }

    static String strOr(JsonNode n, String key, String dflt) {
        return n.has(key) ? n.get(key).asText() : dflt;
    }

    static boolean boolOr(JsonNode n, String key, boolean dflt) {
        return n.has(key) ? n.get(key).asBoolean() : dflt;
    }

    /** Java's backslash escapes in mapping rules, as ES's MappingCharFilterFactory reads them. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                switch (n) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u': b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
                    default: b.append(n);
                }
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    static Reader charFilter(JsonNode cf, Reader in) {
        switch (cf.get("type").asText()) {
            case "mapping": {
                NormalizeCharMap.Builder b = new NormalizeCharMap.Builder();
                Pattern rule = Pattern.compile("(.*)\\s*=>\\s*(.*)\\s*$");
                for (JsonNode m : cf.get("mappings")) {
                    java.util.regex.Matcher mm = rule.matcher(m.asText());
                    if (!mm.find()) throw new IllegalArgumentException("bad rule " + m);
                    b.add(unescape(mm.group(1).trim()), unescape(mm.group(2).trim()));
                }
                return new MappingCharFilter(b.build(), in);
            }
            case "pattern_replace":
                return new PatternReplaceCharFilter(
                    Pattern.compile(cf.get("pattern").asText(), flags(strOr(cf, "flags", ""))), strOr(cf, "replacement", ""), in);
            case "html_strip": {  // ES's HtmlStripCharFilterFactory: escaped_tags, or none
                java.util.Set<String> escaped = new java.util.HashSet<>();
                for (JsonNode t : cf.path("escaped_tags")) escaped.add(t.asText());
                return escaped.isEmpty() ? new HTMLStripCharFilter(in) : new HTMLStripCharFilter(in, escaped);
            }
            default:
                throw new IllegalArgumentException("char_filter " + cf);
        }
    }

    /** ES's CharMatcher classes for token_chars; an empty list keeps every character. */
    static boolean tokenChar(List<String> classes, String custom, int c) {
        if (classes.isEmpty()) return true;
        for (String k : classes) {
            switch (k) {
                case "letter": if (Character.isLetter(c)) return true; break;
                case "digit": if (Character.isDigit(c)) return true; break;
                case "whitespace": if (Character.isWhitespace(c)) return true; break;
                case "punctuation": {
                    int t = Character.getType(c);
                    if (t == Character.START_PUNCTUATION || t == Character.END_PUNCTUATION
                        || t == Character.OTHER_PUNCTUATION || t == Character.CONNECTOR_PUNCTUATION
                        || t == Character.DASH_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
                        || t == Character.FINAL_QUOTE_PUNCTUATION) return true;
                    break;
                }
                case "symbol": {
                    int t = Character.getType(c);
                    if (t == Character.MATH_SYMBOL || t == Character.CURRENCY_SYMBOL
                        || t == Character.MODIFIER_SYMBOL || t == Character.OTHER_SYMBOL) return true;
                    break;
                }
                case "custom": if (custom.indexOf(c) >= 0) return true; break;
                default: throw new IllegalArgumentException("token_chars " + k);
            }
        }
        return false;
    }

    static Tokenizer tokenizer(JsonNode t) {
        String type = t.get("type").asText();
        switch (type) {
            case "standard": return new StandardTokenizer();
            case "whitespace": return new WhitespaceTokenizer();
            case "keyword": return new KeywordTokenizer();
            case "ngram":
            case "edge_ngram": {
                int min = intOr(t, "min_gram", 1);
                int max = intOr(t, "max_gram", 2);
                List<String> classes = new ArrayList<>();
                for (JsonNode k : t.path("token_chars")) classes.add(k.asText());
                String custom = strOr(t, "custom_token_chars", "");
                if (type.equals("ngram")) {
                    return new NGramTokenizer(min, max) {
                        @Override protected boolean isTokenChar(int chr) { return tokenChar(classes, custom, chr); }
                    };
                }
                return new EdgeNGramTokenizer(min, max) {
                    @Override protected boolean isTokenChar(int chr) { return tokenChar(classes, custom, chr); }
                };
            }
            case "path_hierarchy": {
                int buffer = intOr(t, "buffer_size", 1024);
                char delim = strOr(t, "delimiter", "/").charAt(0);
                char repl = strOr(t, "replacement", String.valueOf(delim)).charAt(0);
                int skip = intOr(t, "skip", 0);
                if (boolOr(t, "reverse", false)) return new ReversePathHierarchyTokenizer(buffer, delim, repl, skip);
                return new PathHierarchyTokenizer(buffer, delim, repl, skip);
            }
            case "pattern":
                return new PatternTokenizer(
                    Pattern.compile(strOr(t, "pattern", "\\W+"), flags(strOr(t, "flags", ""))), intOr(t, "group", -1));
            default:
                throw new IllegalArgumentException("tokenizer " + t);
        }
    }

    static TokenStream filter(JsonNode f, TokenStream in) {
        switch (f.get("type").asText()) {
            case "lowercase": return new LowerCaseFilter(in);
            case "stop": return new StopFilter(in, EnglishAnalyzer.getDefaultStopSet());
            case "ngram":
                return new NGramTokenFilter(in, intOr(f, "min_gram", 1), intOr(f, "max_gram", 2),
                    boolOr(f, "preserve_original", false));
            case "edge_ngram":
                return new EdgeNGramTokenFilter(in, intOr(f, "min_gram", 1), intOr(f, "max_gram", 2),
                    boolOr(f, "preserve_original", false));
            case "shingle": {
                int maxS = intOr(f, "max_shingle_size", 2);
                int minS = intOr(f, "min_shingle_size", 2);
                ShingleFilter s = new ShingleFilter(in, minS, maxS);
                s.setOutputUnigrams(boolOr(f, "output_unigrams", true));
                s.setOutputUnigramsIfNoShingles(boolOr(f, "output_unigrams_if_no_shingles", false));
                s.setTokenSeparator(strOr(f, "token_separator", " "));
                s.setFillerToken(strOr(f, "filler_token", "_"));
                return s;
            }
            case "snowball": return new SnowballFilter(in, strOr(f, "language", "English"));
            case "stemmer": {
                String lang = f.get("language").asText();
                if (lang.equals("minimal_english")) return new EnglishMinimalStemFilter(in);
                return new SnowballFilter(in, Character.toUpperCase(lang.charAt(0)) + lang.substring(1));
            }
            case "word_delimiter_graph": {
                int flags = 0;
                if (boolOr(f, "generate_word_parts", true)) flags |= WordDelimiterGraphFilter.GENERATE_WORD_PARTS;
                if (boolOr(f, "generate_number_parts", true)) flags |= WordDelimiterGraphFilter.GENERATE_NUMBER_PARTS;
                if (boolOr(f, "catenate_words", false)) flags |= WordDelimiterGraphFilter.CATENATE_WORDS;
                if (boolOr(f, "catenate_numbers", false)) flags |= WordDelimiterGraphFilter.CATENATE_NUMBERS;
                if (boolOr(f, "catenate_all", false)) flags |= WordDelimiterGraphFilter.CATENATE_ALL;
                if (boolOr(f, "split_on_case_change", true)) flags |= WordDelimiterGraphFilter.SPLIT_ON_CASE_CHANGE;
                if (boolOr(f, "preserve_original", false)) flags |= WordDelimiterGraphFilter.PRESERVE_ORIGINAL;
                if (boolOr(f, "split_on_numerics", true)) flags |= WordDelimiterGraphFilter.SPLIT_ON_NUMERICS;
                if (boolOr(f, "stem_english_possessive", true)) flags |= WordDelimiterGraphFilter.STEM_ENGLISH_POSSESSIVE;
                return new WordDelimiterGraphFilter(in, boolOr(f, "adjust_offsets", true),
                    WordDelimiterIterator.DEFAULT_WORD_DELIM_TABLE, flags, null);
            }
            case "limit": return new LimitTokenCountFilter(in, intOr(f, "max_token_count", 1), boolOr(f, "consume_all_tokens", false));
            case "keep": return new KeepWordFilter(in, words(f.get("keep_words"), boolOr(f, "keep_words_case", false)));
            case "elision": return new ElisionFilter(in, words(f.get("articles"), boolOr(f, "articles_case", false)));
            case "remove_duplicates": return new RemoveDuplicatesTokenFilter(in);
            case "apostrophe": return new ApostropheFilter(in);
            case "decimal_digit": return new DecimalDigitFilter(in);
            case "pattern_replace":
                return new PatternReplaceFilter(in, Pattern.compile(f.get("pattern").asText(), flags(strOr(f, "flags", ""))),
                    strOr(f, "replacement", ""), boolOr(f, "all", true));
            case "trim": return new TrimFilter(in);
            case "truncate": return new TruncateTokenFilter(in, f.get("length").asInt());
            case "reverse": return new ReverseStringFilter(in);
            case "length": return new LengthFilter(in, intOr(f, "min", 0), intOr(f, "max", Integer.MAX_VALUE));
            default:
                throw new IllegalArgumentException("filter " + f);
        }
    }
}
