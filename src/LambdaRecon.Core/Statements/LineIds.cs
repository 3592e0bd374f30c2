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
    private readonly Dictionary<string, int> _lineOfId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _occurrences = new(StringComparer.Ordinal);

    /// <summary>Takes an id the file carries; false with the line of its first use when it repeats.</summary>
    public bool TryTake(string id, int line, out int firstLine)
    {
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
        Span<char> text = stackalloc char[22];
        "h-".CopyTo(text);
        Convert.TryToHexStringLower(hash[..10], text[2..], out _);
        var baseId = new string(text);
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_occurrences, baseId, out _);
        count++;
        id = count == 1 ? baseId : $"{baseId}#{count}";
        return TryTake(id, line, out firstLine);
    }
}
