namespace LambdaRecon.Core.Statements;

/// <summary>
/// A strict RFC 4180 record reader over a <see cref="TextReader"/>: fields separated by one delimiter,
/// optionally quoted with '"' and '""' as an escaped quote, records ended by CRLF, LF or CR, and
/// line breaks allowed inside quoted fields. Blank lines are skipped.
/// </summary>
/// <remarks>
/// Our own reader rather than a package: statements need the physical line each record starts on
/// for their errors, and fields as spans into one reused buffer, so a million-line file allocates
/// only the strings the statement keeps. A quote inside an unquoted field or after a closing quote is
/// refused rather than guessed at: a lenient reading of a broken export could shift an amount into
/// the wrong column.
/// </remarks>
/// <param name="firstLine">The physical line the reader starts on (after lines the caller skipped), so errors name the file's lines.</param>
internal sealed class CsvRecordReader(TextReader reader, char delimiter, int firstLine = 1)
{
    /// <summary>Separates fields inside the record buffer; a control character no export uses.</summary>
    private const char FieldSeparator = '\u001F';

    private readonly char[] _input = new char[64 * 1024];
    private int _position;
    private int _length;
    private int _nextLine = firstLine;
    private char[] _record = new char[1024];
    private int _recordLength;
    private int[] _fieldEnds = new int[32];

    /// <summary>The line the current record starts on, or after an error the line at fault.</summary>
    public int Line { get; private set; }

    public int FieldCount { get; private set; }

    /// <summary>The field at the index, unescaped; empty for a negative index (a column the file lacks).</summary>
    public ReadOnlySpan<char> Field(int index)
    {
        if (index < 0)
        {
            return [];
        }

        var start = index == 0 ? 0 : _fieldEnds[index - 1] + 1;
        return _record.AsSpan(start, _fieldEnds[index] - start);
    }

    /// <summary>Reads the next record: true if one was read; false at the end, or with the reason the text is not CSV.</summary>
    public bool TryRead(out string? error)
    {
        error = null;
        if (!SkipBlankLines())
        {
            return false;
        }

        Line = _nextLine;
        _recordLength = 0;
        FieldCount = 0;
        while (true)
        {
            var ended = Peek() == '"' ? ReadQuoted(out error) : ReadUnquoted(out error);
            if (error is not null)
            {
                return false;
            }

            EndField();
            if (ended)
            {
                return true;
            }
        }
    }

    /// <summary>Reads an unquoted field; true when it ended the record.</summary>
    private bool ReadUnquoted(out string? error)
    {
        error = null;
        while (true)
        {
            var c = Peek();
            if (c < 0)
            {
                return true;
            }

            _position++;
            if (c == delimiter)
            {
                return false;
            }

            if (c is '\r' or '\n')
            {
                ConsumeLineBreak((char)c);
                return true;
            }

            if (c == '"')
            {
                Line = _nextLine;
                error = "a quote inside an unquoted field (quote the whole field and write the quote twice)";
                return false;
            }

            Append((char)c);
        }
    }

    /// <summary>Reads a quoted field; true when it ended the record.</summary>
    private bool ReadQuoted(out string? error)
    {
        error = null;
        _position++;
        while (true)
        {
            var c = Peek();
            if (c < 0)
            {
                error = "a quoted field opened on this line is never closed";
                return false;
            }

            _position++;
            if (c == '"')
            {
                if (Peek() != '"')
                {
                    break;
                }

                _position++;
            }
            else if (c is '\r' or '\n')
            {
                // Keep the line break as written but count it once, so later errors name the right line.
                Append((char)c);
                if (c == '\r' && Peek() == '\n')
                {
                    _position++;
                    Append('\n');
                }

                _nextLine++;
                continue;
            }

            Append((char)c);
        }

        var next = Peek();
        if (next < 0)
        {
            return true;
        }

        _position++;
        if (next == delimiter)
        {
            return false;
        }

        if (next is '\r' or '\n')
        {
            ConsumeLineBreak((char)next);
            return true;
        }

        Line = _nextLine;
        error = $"unexpected '{(char)next}' after the closing quote of a field";
        return false;
    }

    private bool SkipBlankLines()
    {
        while (true)
        {
            var c = Peek();
            if (c < 0)
            {
                return false;
            }

            if (c is not ('\r' or '\n'))
            {
                return true;
            }

            _position++;
            ConsumeLineBreak((char)c);
        }
    }

    /// <summary>Counts a line break whose first character was just consumed, taking the LF of a CRLF.</summary>
    private void ConsumeLineBreak(char first)
    {
        if (first == '\r' && Peek() == '\n')
        {
            _position++;
        }

        _nextLine++;
    }

    private int Peek()
    {
        if (_position == _length)
        {
            _length = reader.Read(_input, 0, _input.Length);
            _position = 0;
            if (_length <= 0)
            {
                _length = 0;
                return -1;
            }
        }

        return _input[_position];
    }

    private void Append(char c)
    {
        if (_recordLength == _record.Length)
        {
            Array.Resize(ref _record, _record.Length * 2);
        }

        _record[_recordLength++] = c;
    }

    private void EndField()
    {
        if (FieldCount == _fieldEnds.Length)
        {
            Array.Resize(ref _fieldEnds, _fieldEnds.Length * 2);
        }

        _fieldEnds[FieldCount++] = _recordLength;
        Append(FieldSeparator);
    }
}
