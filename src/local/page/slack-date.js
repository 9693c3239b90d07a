/**
 * Slack's `<!date^seconds^format|fallback>` tokens, formatted in the reader's own time zone as
 * Slack clients do: {date_num}, {date}, {date_short}, {date_long}, their `_pretty` forms (today,
 * yesterday, tomorrow), {time}, {time_secs} and {ago}. Unknown tokens are left as written.
 */

const ordinal = (n) => {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
};

const dayNumber = (d) =>
  Math.floor(new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() / 86_400_000);

function ago(date, now) {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [abs, 'second']
      : abs < 3600
        ? [Math.round(abs / 60), 'minute']
        : abs < 86_400
          ? [Math.round(abs / 3600), 'hour']
          : [Math.round(abs / 86_400), 'day'];
  const phrase = `${value} ${unit}${value === 1 ? '' : 's'}`;
  return seconds >= 0 ? `${phrase} ago` : `in ${phrase}`;
}

export function formatSlackDate(seconds, format, now = new Date()) {
  const date = new Date(seconds * 1000);
  const month = (style) => date.toLocaleString('en-US', { month: style });
  const weekday = date.toLocaleString('en-US', { weekday: 'long' });
  const day = date.getDate();
  const year = date.getFullYear();
  const diff = dayNumber(date) - dayNumber(now);
  const pretty = (plain) => () =>
    diff === 0 ? 'today' : diff === -1 ? 'yesterday' : diff === 1 ? 'tomorrow' : plain();
  const time = (withSeconds) =>
    date.toLocaleTimeString('en-US', {
      hour: 'numeric',
      minute: '2-digit',
      ...(withSeconds ? { second: '2-digit' } : {}),
    });
  const tokens = {
    date_num: () => `${year}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    date: () => `${month('long')} ${ordinal(day)}, ${year}`,
    date_short: () => `${month('short')} ${day}, ${year}`,
    date_long: () => `${weekday}, ${month('long')} ${ordinal(day)}, ${year}`,
    time: () => time(false),
    time_secs: () => time(true),
    ago: () => ago(date, now),
  };
  tokens.date_pretty = pretty(tokens.date);
  tokens.date_short_pretty = pretty(tokens.date_short);
  tokens.date_long_pretty = pretty(tokens.date_long);
  return format.replace(/\{(\w+)\}/g, (match, name) => (tokens[name] ? tokens[name]() : match));
}

/** A message's time as shown beside the author: "10:32 AM". */
export function formatTs(ts) {
  return new Date(Number.parseFloat(ts) * 1000).toLocaleTimeString('en-US', {
    hour: 'numeric',
    minute: '2-digit',
  });
}
