/* pgcopy.c - PostgreSQL's binary COPY format (pgcopy.h) */
#include <string.h>

#include "clock.h"
#include "pgcopy.h"
#include "uuid.h"

#define PG_EPOCH_US 946684800000000LL	/* 2000-01-01 UTC, in Unix microseconds */

static const struct {
	const char *name;
	enum ig_pg_bin kind;
} types[] = {
	{ "uuid", IG_PGB_UUID }, { "text", IG_PGB_TEXT }, { "character varying", IG_PGB_TEXT },
	{ "timestamp with time zone", IG_PGB_TSTZ }, { "integer", IG_PGB_INT4 }, { "bigint", IG_PGB_INT8 },
	{ "double precision", IG_PGB_FLOAT8 }, { "boolean", IG_PGB_BOOL }, { "jsonb", IG_PGB_JSONB },
	{ "json", IG_PGB_JSON },
};

enum ig_pg_bin
ig_pg_bin_of(const char *type)
{
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		size_t n = strlen(types[i].name);

		/* character varying(50) is character varying */
		if (strncmp(type, types[i].name, n) == 0 && (!type[n] || type[n] == '('))
			return types[i].kind;
	}
	return IG_PGB_NONE;
}

static void
be(struct ig_buf *b, uint64_t v, int bytes)
{
	char out[8];

	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		out[i] = (char)(v & 0xff);
	ig_buf_add(b, out, (size_t)bytes);
}

void
ig_pg_bin_header(struct ig_buf *b)
{
	ig_buf_add(b, "PGCOPY\n\377\r\n\0", 11);
	be(b, 0, 4);	/* flags: no OIDs */
	be(b, 0, 4);	/* no header extension */
}

void
ig_pg_bin_tuple(struct ig_buf *b, int fields)
{
	be(b, (uint64_t)fields, 2);
}

void
ig_pg_bin_trailer(struct ig_buf *b)
{
	be(b, 0xffff, 2);
}

int
ig_pg_bin_field(struct ig_buf *b, enum ig_pg_bin k, const struct ig_cell *c)
{
	char text[64];
	uint8_t uuid[16];
	int64_t us;
	union { double d; uint64_t u; } f;

	if (c->kind == IG_CELL_NULL) {
		be(b, 0xffffffff, 4);
		return 0;
	}
	switch (k) {
	case IG_PGB_UUID:
		if (c->kind != IG_CELL_TEXT || c->n != 36)
			return -1;
		memcpy(text, c->s, 36);
		text[36] = '\0';
		if (ig_uuid_parse(text, uuid) != 0)
			return -1;
		be(b, 16, 4);
		ig_buf_add(b, (char *)uuid, 16);
		return 0;
	case IG_PGB_TEXT:
	case IG_PGB_JSON:
	case IG_PGB_JSONB:
		if (c->kind != IG_CELL_TEXT || c->n > 0x7ffffffe || memchr(c->s, '\0', c->n))
			return -1;
		be(b, c->n + (k == IG_PGB_JSONB), 4);
		if (k == IG_PGB_JSONB)
			ig_buf_addc(b, 1);	/* jsonb's version */
		ig_buf_add(b, c->s, c->n);
		return 0;
	case IG_PGB_TSTZ:
		if (c->kind != IG_CELL_TEXT || c->n >= sizeof text)
			return -1;
		memcpy(text, c->s, c->n);
		text[c->n] = '\0';
		if (ig_time_parse(text, &us) != 0)
			return -1;
		be(b, 8, 4);
		be(b, (uint64_t)(us - PG_EPOCH_US), 8);
		return 0;
	case IG_PGB_INT4:
		if (c->kind != IG_CELL_INT || c->i < INT32_MIN || c->i > INT32_MAX)
			return -1;
		be(b, 4, 4);
		be(b, (uint64_t)(uint32_t)(int32_t)c->i, 4);
		return 0;
	case IG_PGB_INT8:
		if (c->kind != IG_CELL_INT)
			return -1;
		be(b, 8, 4);
		be(b, (uint64_t)c->i, 8);
		return 0;
	case IG_PGB_FLOAT8:
		if (c->kind != IG_CELL_INT && c->kind != IG_CELL_REAL)
			return -1;
		f.d = c->kind == IG_CELL_INT ? (double)c->i : c->d;
		be(b, 8, 4);
		be(b, f.u, 8);
		return 0;
	case IG_PGB_BOOL:
		if (c->kind != IG_CELL_BOOL)
			return -1;
		be(b, 1, 4);
		ig_buf_addc(b, c->i ? 1 : 0);
		return 0;
	default:
		return -1;
	}
}
