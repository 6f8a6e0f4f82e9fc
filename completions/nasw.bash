# completions/nasw.bash - bash completion for nasw.
#
# Everything is read from nasw's own help texts at completion time, so it
# never goes stale: commands from `nasw help`, subcommands from the usage
# lines of `nasw help CMD`, flags from `nasw help CMD [SUB]`, strategy names
# and their keys from `nasw search -h`.  Files are completed where nothing
# else applies (complete -o default).  Needs no bash-completion package.
# Installed by `make install`; to try it from the sources: `. completions/nasw.bash`.

_nasw_commands() { "$1" help 2>/dev/null | awk '/^  [a-z]/ {print $1}'; }

_nasw_subcommands() { # NASW CMD: lowercase words after "nasw CMD" in its usage lines
    "$1" help "$2" 2>/dev/null | awk -v c="$2" '/^(usage:| +or:| +nasw )/ {
        for (i = 1; i < NF; i++) if ($i == "nasw" && $(i+1) == c && $(i+2) ~ /^[a-z][a-z-]*$/) print $(i+2) }' | sort -u
}

_nasw_flags() { # NASW CMD [SUB]
    "$@" -h 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
    echo -h
}

_nasw_strategies() { # NASW [NAME]: strategy names, or NAME's keys as key=
    "$1" search -h 2>/dev/null | awk -v want="${2:-}" '
        /^strategies / { on = 1; next }
        on && /^  [a-z]/ { name = $1; if (want == "") print name; next }
        on && /^      [a-z_]+=/ && name == want { sub(/=.*/, "=", $1); print $1 }'
}

_nasw() {
    # bash splits words at ':' and '=' too (COMP_WORDBREAKS), which would cut
    # strategy specs: the words are taken from the line, split at blanks, and
    # the replies are cut back to the part bash is completing (below)
    local line=${COMP_LINE:0:COMP_POINT} w
    read -r -a w <<<"$line"
    case $line in *[[:space:]]) w+=("") ;; esac
    local cword=$((${#w[@]} - 1))
    local nasw=${w[0]} cur=${w[cword]} prev=
    [ "$cword" -gt 0 ] && prev=${w[cword-1]}
    COMPREPLY=()
    _nasw_complete
    local pre=$cur c
    while [ -n "$pre" ]; do
        c=${pre: -1}
        case $COMP_WORDBREAKS in *"$c"*) break ;; esac
        pre=${pre%?}
    done
    [ -n "$pre" ] && COMPREPLY=("${COMPREPLY[@]#"$pre"}")
    return 0
}

_nasw_complete() { # uses _nasw's locals: w cword nasw cur prev
    local COMP_CWORD=$cword COMP_WORDS=("${w[@]}")
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_nasw_commands "$nasw") --help --version" -- "$cur"))
        return
    fi
    local cmd=${COMP_WORDS[1]} sub=
    if [ "$cmd" = help ]; then
        case $COMP_CWORD in
            2) COMPREPLY=($(compgen -W "$(_nasw_commands "$nasw")" -- "$cur")) ;;
            3) COMPREPLY=($(compgen -W "$(_nasw_subcommands "$nasw" "${COMP_WORDS[2]}")" -- "$cur")) ;;
        esac
        return
    fi
    local subs
    subs=$(_nasw_subcommands "$nasw" "$cmd")
    if [ -n "$subs" ]; then
        if [ "$COMP_CWORD" -eq 2 ] && [ "${cur#-}" = "$cur" ]; then
            COMPREPLY=($(compgen -W "$subs" -- "$cur"))
            return
        fi
        case " $(echo $subs) " in *" ${COMP_WORDS[2]} "*) sub=${COMP_WORDS[2]} ;; esac
    fi
    case $prev in
        --strategy|--strategies)
            # a comma-separated list: complete its last item; NAME: offers the keys
            local head= item=$cur
            case $cur in *,*) head=${cur%,*},; item=${cur##*,} ;; esac
            case $item in
                *:*) COMPREPLY=($(compgen -P "$head${item%:*}:" -W "$(_nasw_strategies "$nasw" "${item%%:*}")" -- "${item##*:}")) ;;
                *) COMPREPLY=($(compgen -P "$head" -W "$(_nasw_strategies "$nasw")" -- "$item")) ;;
            esac
            compopt -o nospace 2>/dev/null   # a ':', '=' or ',' may follow
            return ;;
        --preset) COMPREPLY=($(compgen -W "nb201 proxy micro" -- "$cur")); return ;;
        --bench) COMPREPLY=($(compgen -W "live:fmnist live:fmnist:nb201 live:fmnist:proxy live:fmnist:micro table:" -- "$cur")); return ;;
        --encoding) COMPREPLY=($(compgen -W "onehot path none" -- "$cur")); return ;;
        --space) COMPREPLY=($(compgen -W "nb201" -- "$cur")); return ;;
        --dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --size) COMPREPLY=($(compgen -W "3.5,2.6 7,3 7,5" -- "$cur")); return ;; # W,H inches: no file names
    esac
    if [ "${cur#-}" != "$cur" ]; then
        COMPREPLY=($(compgen -W "$(_nasw_flags "$nasw" "$cmd" $sub)" -- "$cur"))
    fi
}
complete -o default -F _nasw nasw
