/* scan.c - an answer's JSON copied as it arrives, its long strings to sinks */
#include <string.h>

#include "scan.h"

void
ig_scan_init(struct ig_scan *s, size_t big, const struct ig_scan_sink *sink)
{
	memset(s, 0, sizeof *s);
	s->big = big;
	s->sink = *sink;
	s->max_streams = IG_SCAN_STREAMS;
}

void
ig_scan_reset(struct ig_scan *s)
{
	struct ig_buf kept = s->kept, bad = s->bad;
	size_t big = s->big;
	struct ig_scan_sink sink = s->sink;
	int max = s->max_streams;

	memset(s, 0, sizeof *s);
	kept.len = bad.len = 0;
	s->kept = kept;
	s->bad = bad;
	s->big = big;
	s->sink = sink;
	s->max_streams = max;
}

void
ig_scan_free(struct ig_scan *s)
{
	ig_buf_free(&s->kept);
	ig_buf_free(&s->bad);
}

int
ig_scan_bad(const struct ig_scan *s, int k)
{
	return k < 0 || k >= s->nstreams || (size_t)k >= s->bad.len || s->bad.p[k];
}

static int
top_is_object(const struct ig_scan *s)
{
	return s->depth > 0 && s->depth <= IG_JSON_DEPTH_MAX &&
	    (s->in_object[(s->depth - 1) / 8] >> ((s->depth - 1) % 8) & 1);
}

/* a piece of a long string's characters, to its sink */
static int
stream_chars(struct ig_scan *s, const char *p, size_t n)
{
	return n ? s->sink.write(s->sink.ctx, s->nstreams - 1, (const unsigned char *)p, n) : 0;
}

/* the open string is long: from here it goes to a sink */
static int
begin_stream(struct ig_scan *s)
{
	int k = s->nstreams++;
	size_t from = s->str_start + 1, n = s->kept.len - from;
	int rc;

	s->streaming = 1;
	ig_buf_addc(&s->bad, 0);
	if (s->sink.open(s->sink.ctx, k) != 0)
		return -1;
	/* what came so far holds no escape but \/, which means / */
	s->kept.len = s->str_start;
	if (!memchr(s->kept.p + from, '\\', n))
		return stream_chars(s, s->kept.p + from, n);
	{
		char *w = s->kept.p + from;
		size_t m = 0;

		for (size_t i = 0; i < n; i++)
			if (w[i] != '\\')
				w[m++] = w[i];
		rc = stream_chars(s, w, m);
	}
	return rc;
}

static int
end_stream(struct ig_scan *s)
{
	s->streaming = 0;
	s->in_string = 0;
	ig_buf_printf(&s->kept, "{\"ig_stream\":%d}", s->nstreams - 1);
	return 0;
}

/* inside a string: a span to its next quote or backslash */
static size_t
span(const char *p, size_t n)
{
	const char *q = memchr(p, '"', n), *b = memchr(p, '\\', q ? (size_t)(q - p) : n);

	return b ? (size_t)(b - p) : q ? (size_t)(q - p) : n;
}

static int
feed_stream(struct ig_scan *s, const char *p, size_t n, size_t *used)
{
	size_t i = 0;

	while (i < n) {
		size_t m;

		if (s->escaped) {
			s->escaped = 0;
			if (p[i] == '/') {
				if (stream_chars(s, "/", 1))
					return -1;
			} else {
				s->bad.p[s->nstreams - 1] = 1;
			}
			i++;
			continue;
		}
		m = span(p + i, n - i);
		if (m && stream_chars(s, p + i, m))
			return -1;
		i += m;
		if (i == n)
			break;
		if (p[i++] == '\\') {
			s->escaped = 1;
		} else {
			*used = i;
			return end_stream(s) ? -1 : 1;
		}
	}
	*used = i;
	return 0;
}

static void
structural(struct ig_scan *s, char c)
{
	switch (c) {
	case '"':
		s->in_string = 1;
		s->is_key = top_is_object(s) && s->expect_key;
		s->str_start = s->kept.len;
		s->str_len = 0;
		s->stop = 0;
		break;
	case '{':
	case '[':
		if (s->depth < IG_JSON_DEPTH_MAX) {
			uint8_t bit = (uint8_t)(1u << (s->depth % 8));

			if (c == '{')
				s->in_object[s->depth / 8] |= bit;
			else
				s->in_object[s->depth / 8] &= (uint8_t)~bit;
		}
		s->depth++;
		s->expect_key = c == '{';
		break;
	case '}':
	case ']':
		if (s->depth > 0)
			s->depth--;
		s->expect_key = 0;
		break;
	case ':':
		s->expect_key = 0;
		break;
	case ',':
		s->expect_key = top_is_object(s);
		break;
	}
	ig_buf_addc(&s->kept, c);
}

int
ig_scan_feed(struct ig_scan *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s->streaming) {
			size_t used = 0;
			int rc = feed_stream(s, p + i, n - i, &used);

			if (rc < 0)
				return -1;
			i += used;
		} else if (s->in_string) {
			size_t m = s->escaped ? 0 : span(p + i, n - i);

			ig_buf_add(&s->kept, p + i, m);
			s->str_len += m;
			i += m;
			/* a value string past the mark, with no escape but \/ */
			if (!s->escaped && !s->is_key && !s->stop && s->str_len >= s->big &&
			    s->nstreams < s->max_streams) {
				if (begin_stream(s))
					return -1;
				continue;
			}
			if (i == n)
				break;
			ig_buf_addc(&s->kept, p[i]);
			s->str_len++;
			if (s->escaped) {
				s->escaped = 0;
				s->stop |= p[i] != '/';
			} else if (p[i] == '\\') {
				s->escaped = 1;
			} else {
				s->in_string = 0;
			}
			i++;
		} else {
			/* between strings: structure, numbers, literals, space */
			size_t j = i;

			while (j < n && p[j] != '"' && p[j] != '{' && p[j] != '}' && p[j] != '[' && p[j] != ']' &&
			    p[j] != ':' && p[j] != ',')
				j++;
			ig_buf_add(&s->kept, p + i, j - i);
			if (j < n)
				structural(s, p[j++]);
			i = j;
		}
	}
	return 0;
}

int
ig_scan_end(struct ig_scan *s)
{
	/* an answer cut inside its image: what was decoded stays, the JSON
	 * left unfinished, so that it reads as unreadable */
	if (s->streaming) {
		s->streaming = 0;
		s->bad.p[s->nstreams - 1] = 1;
	}
	return 0;
}
