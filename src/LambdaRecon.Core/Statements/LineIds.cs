using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// Gives every line of one file a distinct, stable id.
/// </summary>
/// <remarks>
/// <para>An id the file carries (a provider's transaction id, a bank's AcctSvcrRef) is used as is and
/// must not repeat: the issuer promises it is unique, so a repeat means a concatenated or corrupted
/// export, and the file is refused.</para>
/// <para>A line without one gets "h-" and 20 hex digits (80 bits) of the SHA-256 of its content. Banks
/// do repeat identical lines (two equal card payments at the same shop on the same day), and both are
/// real money, so a repeat keeps its own id by its occurrence: "h-…", "h-…#2", "h-…#3". Occurrence
/// rather than line number keeps ids stable when an export is re-run with other lines added.</para>
/// </remarks>
internal sealed class LineIds
{
    private const string HashPrefix = "h-";
    private const int HashChars = 20;

    // Carried ids by the line that used them. Hashed ids are counted by their 80-bit hash as a number
    // rather than kept as strings: a file of a million lines without ids would otherwise keep two
    // dictionaries of a million strings, and their lookups were most of the time of a parse.
    private readonly Dictionary<string, int> _lineOfId = new(StringComparer.Ordinal);
    private readonly Dictionary<UInt128, (int Count, int FirstLine)> _hashed = [];

    /// <summary>Takes an id the file carries; false with the line of its first use when it repeats.</summary>
    public bool TryTake(string id, int line, out int firstLine)
    {
        // A carried id written like one of ours ("h-" and 20 hex digits, "#n") must not be one already given.
        if (id.StartsWith(HashPrefix, StringComparison.Ordinal) && TryReadHashed(id, out var key, out var occurrence)
            && _hashed.TryGetValue(key, out var taken) && taken.Count >= occurrence)
        {
            firstLine = taken.FirstLine;
            return false;
        }

        ref var existing = ref CollectionsMarshal.GetValueRefOrAddDefault(_lineOfId, id, out var exists);
        if (exists)
        {
            firstLine = existing;
            return false;
        }

        existing = line;
        firstLine = 0;
        return true;
    }

    /// <summary>An id for a line that carries none, from its canonical content.</summary>
    public bool TryTakeHashed(ReadOnlySpan<char> content, int line, out string id, out int firstLine)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(MemoryMarshal.AsBytes(content), hash);
        var key = Key(hash[..10]);
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_hashed, key, out var seen);
        count = seen ? (count.Count + 1, count.FirstLine) : (1, line);
        Span<char> text = stackalloc char[HashPrefix.Length + HashChars];
        HashPrefix.CopyTo(text);
        Convert.TryToHexStringLower(hash[..10], text[HashPrefix.Length..], out _);
        id = count.Count == 1 ? new string(text) : $"{text}#{count.Count}";
        if (_lineOfId.Count > 0 && _lineOfId.TryGetValue(id, out firstLine))
        {
            return false;
        }

        firstLine = 0;
        return true;
    }

    private static UInt128 Key(ReadOnlySpan<byte> hash80)
    {
        Span<byte> padded = stackalloc byte[16];
        hash80.CopyTo(padded);
        return MemoryMarshal.Read<UInt128>(padded);
    }

    /// <summary>Reads "h-" + 20 hex digits + optional "#n" (n ≥ 2) back into its hash and occurrence.</summary>
    private static bool TryReadHashed(string id, out UInt128 key, out int occurrence)
    {
        key = default;
        occurrence = 1;
        var hex = id.AsSpan(HashPrefix.Length);
        var hash = hex.Length > HashChars && hex[HashChars] == '#' ? hex[..HashChars] : hex;
        if (hash.Length != HashChars || (hex.Length > HashChars
                && (!int.TryParse(hex[(HashChars + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out occurrence) || occurrence < 2)))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[10];
        if (Convert.FromHexString(hash, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != 10
            || hash.ContainsAnyInRange('A', 'F'))
        {
            return false;
        }

        key = Key(bytes);
        return true;
    }
}
