# bash completion for netbrokerctl(1)

_netbrokerctl_servers()
{
    netbrokerctl -t 1000 server list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_netbrokerctl_fds()
{
    netbrokerctl -t 1000 fd list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_netbrokerctl()
{
    local cur prev words cword
    _init_completion || return

    local commands="status server blocklist fd watch connect exec reload shutdown"
    local globals="--control --json --quiet --timeout --help --version"

    # Find the command word, past the global options.
    local i cmd="" sub=""
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -s|--control|-t|--timeout) ((i++)) ;;
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
        esac
    done

    case $prev in
        -s|--control) _filedir; return ;;
        --server) COMPREPLY=($(compgen -W "$(_netbrokerctl_servers)" -- "$cur")); return ;;
        --fd) [[ $cmd == exec ]] && COMPREPLY=($(compgen -W "$(_netbrokerctl_fds)" -- "$cur")); return ;;
        --mode) COMPREPLY=($(compgen -W "acquire dispatch" -- "$cur")); return ;;
        --path) _filedir; return ;;
        --events) COMPREPLY=($(compgen -W "listening connection drop close error" -- "$cur")); return ;;
    esac

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands $globals" -- "$cur"))
        return
    fi
    case $cmd in
        server)
            if [[ -z $sub ]]; then
                COMPREPLY=($(compgen -W "list show create set close --help" -- "$cur"))
            elif [[ $sub == create ]]; then
                COMPREPLY=($(compgen -W "--host --port --path --backlog --exclusive --ipv6-only
                    --readable-all --writable-all --mode --max-connections --queue-limit
                    --queue-timeout --block" -- "$cur"))
            elif [[ $sub == set ]]; then
                COMPREPLY=($(compgen -W "--max-connections --queue-limit --queue-timeout
                    $(_netbrokerctl_servers)" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_netbrokerctl_servers)" -- "$cur"))
            fi ;;
        blocklist)
            [[ -z $sub ]] && COMPREPLY=($(compgen -W "add remove list check --help" -- "$cur")) \
                || COMPREPLY=($(compgen -W "--server --rules" -- "$cur")) ;;
        fd)
            if [[ -z $sub ]]; then
                COMPREPLY=($(compgen -W "list store retrieve remove --help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_netbrokerctl_fds) --fd --timeout --replace --remove" -- "$cur"))
            fi ;;
        watch) COMPREPLY=($(compgen -W "--server --events --help" -- "$cur")) ;;
        exec) COMPREPLY=($(compgen -W "--server --fd --" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
    esac
}
complete -F _netbrokerctl netbrokerctl
