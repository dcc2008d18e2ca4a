/* imgmodel.h - what each image model takes and costs, from db/models.json
 *
 * A job's settings (params.config: aspect_ratio, image_size, references,
 * source, mask, background, output_format, output_compression, quality,
 * moderation, request) are checked against its model's entry and turned
 * into the fields a request sends; what the model cannot do is refused
 * with the reason, before anything is sent. An unknown model gets its
 * API's defaults (the "apis" entries) and a warning. man/ig-gen.1, MODELS.
 */
#ifndef IG_IMGMODEL_H
#define IG_IMGMODEL_H
#include <stdint.h>
#include <jv.h>

enum ig_api { IG_API_GEMINI, IG_API_OPENAI };

struct ig_imgmodel {
	jv entry;		/* the model's facts, or its API's defaults */
	char name[128];		/* the table's name for it (an alias resolved) */
	enum ig_api api;
	int known;		/* in the table, for this API */
};

/* prices of one image, in USD; a negative price is unknown */
struct ig_price {
	double per_image;	/* at the job's size (and quality) */
	double input_text, input_image, output_image;	/* per token */
};

/* what a request sends, from a job's settings */
struct ig_settings {
	char aspect[8];		/* Gemini imageConfig.aspectRatio */
	char image_size[8];	/* the size class: 512, 1K, 2K, 4K */
	char size[24];		/* OpenAI's WxH */
	char quality[8], background[12], output_format[8], moderation[8];
	int compression;	/* output_compression, or -1 */
	int inputs;		/* images sent: references and the source */
	int batch;		/* the Batch API serves the model */
	struct ig_price price;
};

/* an API's Batch API, from db/models.json's batch_apis */
struct ig_batch_api {
	char name[16];		/* the API's name in db/models.json: a remote holder's first word */
	double price_factor;	/* of the online price */
	uint64_t inline_max;	/* bytes of requests sent inline, under this */
	uint64_t file_max;	/* bytes of a JSONL input file, at most */
	char file_mime[64];
};

enum ig_batch_action { IG_BATCH_WAIT, IG_BATCH_READ, IG_BATCH_REQUEUE, IG_BATCH_UNKNOWN };

/* the entry for a model on an API; unknown (known = 0) if the table has no
 * such model for that API. m->entry is the caller's to free. */
void ig_imgmodel_find(const char *name, enum ig_api api, struct ig_imgmodel *m);
void ig_imgmodel_free(struct ig_imgmodel *m);

/* config (the job's params.config, borrowed) and its size, checked and
 * mapped to request fields; 0, or -1 with the reason in err */
int ig_imgmodel_settings(const struct ig_imgmodel *m, jv config, uint32_t width, uint32_t height,
    struct ig_settings *s, char *err, size_t errlen);

/* the dollars an answer's usage (Gemini usageMetadata, OpenAI usage; borrowed)
 * implies at these prices, or the per-image price; -1 if neither is known */
double ig_price_of_usage(const struct ig_price *p, jv usage, int gemini);

/* 0, or -1 if the table has no Batch API for api */
int ig_batch_api_of(enum ig_api api, struct ig_batch_api *b);
/* what a poll's state (its prefix dropped) asks of --collect; *name is the
 * state without its prefix, pointing into state */
enum ig_batch_action ig_batch_state(enum ig_api api, const char *state, const char **name);

#endif
