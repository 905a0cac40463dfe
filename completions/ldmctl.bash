# bash completion for ldmctl(8)
_ldmctl() {
    local cur prev cmd i
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="scan show table activate deactivate status udev monitor create-volume delete-volume backup-metadata restore-metadata help"
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac
    done
    if [ -z "$cmd" ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case $prev in
        --image-sector-size) COMPREPLY=($(compgen -W "512 4096" -- "$cur")); return ;;
        --group|-g|--volume|--degraded-timeout|--wait|--size|--disks|--name|--chunk|--drive-hint) return ;;
        --type) COMPREPLY=($(compgen -W "simple spanned striped mirrored raid5" -- "$cur")); return ;;
        --exec|--backup) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    local opts=""
    case $cmd in
        scan) opts="--image-sector-size" ;;
        show) opts="--json --image-sector-size" ;;
        table) opts="--concise --group --volume --whole-disk --4kn-extents --image-sector-size" ;;
        activate) opts="--all --group --volume --read-only --no-degraded --dry-run --whole-disk --4kn-extents --image-sector-size" ;;
        deactivate) opts="--all --group --volume --dry-run" ;;
        status) opts="--json" ;;
        create-volume) opts="--group --type --size --disks --name --chunk --drive-hint --dry-run --yes --backup --image-sector-size" ;;
        delete-volume) opts="--group --dry-run --yes --backup --image-sector-size" ;;
        backup-metadata) opts="--group --backup --image-sector-size" ;;
        restore-metadata) opts="--yes --dry-run --image-sector-size" ;;
        monitor) COMPREPLY=($(compgen -W "--json --exec --oneshot --help" -- "$cur")); return ;;
        udev)
            if [ "$prev" = udev ]; then
                COMPREPLY=($(compgen -W "probe partition dm-info add change remove last-resort activate coldplug" -- "$cur"))
                return
            fi
            opts="--degraded-timeout --wait --degraded" ;;
        help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
    else
        # Devices and image files.
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o filenames -F _ldmctl ldmctl
