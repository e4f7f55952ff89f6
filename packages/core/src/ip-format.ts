// Text forms of raw IP addresses, as inet_ntop prints them: the sensor's records, NFLOG packets
// and /proc/net tables all carry addresses as bytes.

/** Dotted quad of the 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * RFC 5952 text of the 16 bytes at `offset`: lower-case hex, the longest run of two or more zero
 * groups as "::", and IPv4-mapped addresses in their dotted form (::ffff:127.0.0.1).
 */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[offset + i * 2]! << 8) | bytes[offset + i * 2 + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
